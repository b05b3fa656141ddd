using System.Net;
using System.Net.Http;
using System.Text;
using Carapace.Abstractions.Http;
using Carapace.Host.Outbound;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Outbound;

/// <summary>Body caps and timeouts against real huge and slow local servers (default 10 MiB / 30 s).</summary>
public sealed class CapsAndTimeoutTests
{
    private const int Cap = 10 * 1024 * 1024;
    private static readonly string[] AllowLoopback = ["127.0.0.1"];

    [Fact]
    public async Task Declared_content_length_over_the_cap_is_refused_before_reading()
    {
        await using var server = new LoopbackServer(IPAddress.Loopback, async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Cap + 1}\r\n\r\n"), ct);
            await stream.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, ct); // never sends the body: the refusal must not wait for it
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/?k=SECRET"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.ResponseTooLarge, ex.Code);
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamed_body_without_length_is_cut_at_the_cap()
    {
        var written = 0L;
        await using var server = new LoopbackServer(IPAddress.Loopback, async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), ct);
            var chunk = new byte[64 * 1024];
            var framed = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n").Concat(chunk).Concat("\r\n"u8.ToArray()).ToArray();
            for (var i = 0; i < 1024; i++) // up to 64 MiB, far past the cap
            {
                await stream.WriteAsync(framed, ct);
                Interlocked.Add(ref written, chunk.Length);
            }
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.ResponseTooLarge, ex.Code);
        await server.DisposeAsync();
        Assert.True(Interlocked.Read(ref written) < 64L * 1024 * 1024, "the client kept reading past the cap");
    }

    [Fact]
    public async Task Body_of_exactly_the_cap_is_returned_whole()
    {
        await using var server = new LoopbackServer(IPAddress.Loopback, async (_, stream, ct) =>
        {
            // No Content-Length: the streamed count decides.
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"u8.ToArray(), ct);
            await stream.WriteAsync(new byte[Cap], ct);
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);

        var response = await http.SendAsync(new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/"), null, CancellationToken.None);

        Assert.Equal(Cap, response.Body.Length);
    }

    [Fact]
    public async Task Request_body_over_the_cap_is_refused_before_connecting()
    {
        await using var server = LoopbackServer.Respond(IPAddress.Loopback, 200);
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => http.SendAsync(
            new PluginHttpRequest("POST", $"http://127.0.0.1:{server.Port}/") { Body = new byte[Cap + 1] }, null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.RequestTooLarge, ex.Code);
        Assert.Equal(0, server.AcceptedConnections);
    }

    [Fact]
    public async Task Request_body_at_the_cap_is_sent()
    {
        var received = new TaskCompletionSource<int>();
        await using var server = new LoopbackServer(IPAddress.Loopback, (head, stream, ct) =>
        {
            received.TrySetResult(head.Body.Length);
            return LoopbackServer.WriteAsync(stream, 200, "ok", "", ct);
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);

        var response = await http.SendAsync(
            new PluginHttpRequest("PUT", $"http://127.0.0.1:{server.Port}/") { Body = new byte[Cap], ContentType = "application/octet-stream" },
            null,
            CancellationToken.None);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(Cap, await received.Task);
    }

    [Fact]
    public async Task Default_timeout_of_30_seconds_applies_when_the_request_sets_none()
    {
        var time = new TimerRecordingTimeProvider(new FakeTimeProvider());
        await using var server = Silent();
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback, time: time);

        var pending = http.SendAsync(new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/?k=SECRET"), null, CancellationToken.None);
        await server.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The timer is the proof: FakeTimeProvider runs due callbacks inside Advance, so "not fired yet"
        // is exact, where "the request has not completed yet" would only be a race.
        Assert.Equal([TimeSpan.FromSeconds(30)], time.DueTimes);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, time.Fired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, time.Fired);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(OutboundErrorCodes.Timeout, ex.Code);
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 30.0)]
    [InlineData(0.0, 30.0)]
    [InlineData(-1.0, 30.0)]
    [InlineData(-1000.0, 30.0)]
    [InlineData(0.001, 0.001)]
    [InlineData(5.0, 5.0)]
    [InlineData(300.0, 300.0)]
    [InlineData(301.0, 300.0)]
    [InlineData(86400.0, 300.0)]
    public void Effective_timeout_defaults_to_30_seconds_and_is_clamped_to_300(double? requestedSeconds, double expectedSeconds)
    {
        var requested = requestedSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), SafeHttp.EffectiveTimeout(requested, new OutboundOptions()));
    }

    [Fact]
    public void Effective_timeout_follows_the_configured_default_and_maximum()
    {
        var options = new OutboundOptions { TimeoutSeconds = 10, MaxTimeoutSeconds = 60 };

        Assert.Equal(TimeSpan.FromSeconds(10), SafeHttp.EffectiveTimeout(null, options));
        Assert.Equal(TimeSpan.FromSeconds(10), SafeHttp.EffectiveTimeout(Timeout.InfiniteTimeSpan, options));
        Assert.Equal(TimeSpan.FromSeconds(60), SafeHttp.EffectiveTimeout(TimeSpan.FromMinutes(5), options));
    }

    [Fact]
    public async Task Request_timeout_is_clamped_to_the_maximum()
    {
        var time = new FakeTimeProvider();
        await using var server = Silent();
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback, time: time);

        var pending = http.SendAsync(
            new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/") { Timeout = TimeSpan.FromDays(1) }, null, CancellationToken.None);
        await server.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(300));

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(OutboundErrorCodes.Timeout, ex.Code);
    }

    [Fact]
    public async Task Timeout_also_covers_a_body_that_trickles()
    {
        var time = new FakeTimeProvider();
        await using var server = new LoopbackServer(IPAddress.Loopback, async (_, stream, ct) =>
        {
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx"u8.ToArray(), ct);
            await stream.FlushAsync(ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback, time: time);

        var pending = http.SendAsync(
            new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/") { Timeout = TimeSpan.FromSeconds(5) }, null, CancellationToken.None);
        await server.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromSeconds(5));

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(OutboundErrorCodes.Timeout, ex.Code);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_reported_as_a_timeout()
    {
        await using var server = Silent();
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);
        using var cts = new CancellationTokenSource();

        var pending = http.SendAsync(new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/"), null, cts.Token);
        await server.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("")]
    public async Task Methods_outside_the_list_are_refused(string method)
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);
        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(new PluginHttpRequest(method, "http://127.0.0.1:9/"), null, CancellationToken.None));
        Assert.Equal(OutboundErrorCodes.InvalidRequest, ex.Code);
    }

    [Theory]
    [InlineData("Host")]
    [InlineData("host")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Connection")]
    public async Task Headers_that_change_routing_or_framing_are_refused(string header)
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);
        var request = new PluginHttpRequest("GET", "http://127.0.0.1:9/")
        {
            Headers = new Dictionary<string, string> { [header] = "localhost" },
        };
        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => http.SendAsync(request, null, CancellationToken.None));
        Assert.Equal(OutboundErrorCodes.InvalidRequest, ex.Code);
    }

    [Fact]
    public async Task Connection_refused_is_a_request_failed_without_the_query()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), AllowLoopback);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => http.SendAsync(
            new PluginHttpRequest("GET", $"http://127.0.0.1:{port}/p?token=SECRET"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.RequestFailed, ex.Code);
        Assert.DoesNotContain("SECRET", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Handler_never_uses_a_proxy_cookies_or_automatic_redirects_even_if_a_hook_asks()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), configure: h =>
        {
            h.UseProxy = true;
            h.Proxy = new WebProxy("http://10.0.0.1:3128");
            h.AllowAutoRedirect = true;
            h.ConnectCallback = null;
        });
        using var handler = http.CreateHandler();

        var sockets = Assert.IsType<SocketsHttpHandler>(Assert.IsType<ProtocolPinningHandler>(handler).InnerHandler);
        Assert.False(sockets.UseProxy);
        Assert.Null(sockets.Proxy);
        Assert.False(sockets.AllowAutoRedirect);
        Assert.False(sockets.UseCookies);
        Assert.NotNull(sockets.ConnectCallback);
    }

    private static LoopbackServer Silent() =>
        new(IPAddress.Loopback, (_, _, ct) => Task.Delay(Timeout.Infinite, ct));
}
