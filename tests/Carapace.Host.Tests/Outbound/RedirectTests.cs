using System.Net;
using Carapace.Abstractions.Http;
using Carapace.Host.Outbound;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// Redirects against real local servers. The first hop is reachable only through a test-only
/// allowPrivate entry for 127.0.0.1; the private targets (127.0.0.2, other loopback notations, names
/// resolving to private addresses) are not, and their listeners must stay untouched.
/// </summary>
public sealed class RedirectTests
{
    private static PluginHttpRequest Get(string url, bool follow = true) => new("GET", url) { FollowRedirects = follow };

    [Fact]
    public async Task Redirects_are_not_followed_by_default()
    {
        await using var target = LoopbackServer.Respond(IPAddress.Parse("127.0.0.2"), 200);
        await using var first = LoopbackServer.Respond(
            IPAddress.Loopback, 302, "", $"Location: http://127.0.0.2:{target.Port}/\r\n");
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1"]);

        var response = await http.SendAsync(Get($"http://127.0.0.1:{first.Port}/", follow: false), null, CancellationToken.None);

        Assert.Equal(302, response.StatusCode);
        Assert.Equal($"http://127.0.0.2:{target.Port}/", response.Headers["Location"]);
        Assert.Equal(0, target.AcceptedConnections);
    }

    [Theory]
    [InlineData("http://127.0.0.2:{port}/")]
    [InlineData("http://localhost:{port}/")]
    [InlineData("http://2130706434:{port}/")] // 127.0.0.2 in decimal
    [InlineData("http://[::ffff:127.0.0.2]:{port}/")]
    [InlineData("http://private.example:{port}/")] // resolves to 127.0.0.2
    [InlineData("http://mixed.example:{port}/")] // resolves to a public address and 127.0.0.2
    [InlineData("//127.0.0.2:{port}/")] // scheme-relative
    public async Task Redirect_to_a_private_target_is_refused_after_an_allowed_first_hop(string location)
    {
        await using var target = LoopbackServer.Respond(IPAddress.Parse("127.0.0.2"), 200, "private");
        await using var first = LoopbackServer.Respond(
            IPAddress.Loopback, 302, "", $"Location: {location.Replace("{port}", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)}\r\n");
        var resolver = new FakeResolver().Map("private.example", "127.0.0.2").Map("mixed.example", "93.184.215.14", "127.0.0.2");
        using var http = OutboundTestKit.SafeHttp(resolver, allowPrivate: ["127.0.0.1"]);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(Get($"http://127.0.0.1:{first.Port}/start?key=SECRET"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, first.AcceptedConnections);
        Assert.Equal(0, target.AcceptedConnections);
    }

    [Fact]
    public async Task Allowed_redirects_are_followed_and_303_turns_a_post_into_a_get()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = new LoopbackServer(IPAddress.Loopback, (head, stream, ct) =>
        {
            seen.Enqueue($"{head.Method} {head.Target} {head.Body.Length}");
            return head.Target switch
            {
                "/start" => LoopbackServer.WriteAsync(stream, 303, "", "Location: /middle\r\n", ct),
                "/middle" => LoopbackServer.WriteAsync(stream, 307, "", "Location: /end?x=1\r\n", ct),
                _ => LoopbackServer.WriteAsync(stream, 200, "done", "", ct),
            };
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1"]);

        var response = await http.SendAsync(
            new PluginHttpRequest("POST", $"http://127.0.0.1:{server.Port}/start") { Body = "payload"u8.ToArray(), FollowRedirects = true },
            null,
            CancellationToken.None);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal($"http://127.0.0.1:{server.Port}/end?x=1", response.FinalUrl);
        Assert.Equal(["POST /start 7", "GET /middle 0", "GET /end?x=1 0"], seen.ToArray());
    }

    [Fact]
    public async Task More_than_five_redirects_are_refused()
    {
        await using var loop = new LoopbackServer(IPAddress.Loopback, (_, stream, ct) =>
            LoopbackServer.WriteAsync(stream, 302, "", "Location: /again\r\n", ct));
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1"]);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(Get($"http://127.0.0.1:{loop.Port}/"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.TooManyRedirects, ex.Code);
        Assert.Equal(1 + SafeHttp.MaxRedirects, loop.AcceptedConnections);
    }

    [Fact]
    public async Task Https_to_http_downgrade_is_refused()
    {
        using var certificate = TestCertificate.Create();
        await using var plain = LoopbackServer.Respond(IPAddress.Loopback, 200, "plain");
        await using var tls = new LoopbackServer(
            IPAddress.Loopback,
            (_, stream, ct) => LoopbackServer.WriteAsync(stream, 301, "", $"Location: http://127.0.0.1:{plain.Port}/\r\n", ct),
            certificate: certificate);
        using var http = OutboundTestKit.SafeHttp(
            new FakeResolver(),
            allowPrivate: ["127.0.0.1"],
            configure: h => h.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
                cert is not null && cert.GetCertHashString() == certificate.GetCertHashString());

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(Get($"https://127.0.0.1:{tls.Port}/"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.RedirectRefused, ex.Code);
        Assert.Equal(1, tls.AcceptedConnections);
        Assert.Equal(0, plain.AcceptedConnections);
    }

    [Fact]
    public async Task Cross_origin_redirect_drops_credentials_headers()
    {
        var secondHeaders = new TaskCompletionSource<IReadOnlyDictionary<string, string>>();
        await using var second = new LoopbackServer(IPAddress.Parse("127.0.0.3"), (head, stream, ct) =>
        {
            secondHeaders.TrySetResult(head.Headers);
            return LoopbackServer.WriteAsync(stream, 200, "second", "", ct);
        });
        await using var first = LoopbackServer.Respond(
            IPAddress.Loopback, 302, "", $"Location: http://127.0.0.3:{second.Port}/\r\n");
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1", "127.0.0.3"]);

        var request = Get($"http://127.0.0.1:{first.Port}/") with
        {
            Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer t", ["Cookie"] = "a=b", ["X-Keep"] = "1" },
        };
        var response = await http.SendAsync(request, null, CancellationToken.None);

        Assert.Equal(200, response.StatusCode);
        var headers = await secondHeaders.Task;
        Assert.False(headers.ContainsKey("Authorization"));
        Assert.False(headers.ContainsKey("Cookie"));
        Assert.Equal("1", headers["X-Keep"]);
    }

    [Fact]
    public async Task Redirect_check_callback_can_refuse_a_hop_before_it_is_contacted()
    {
        await using var target = LoopbackServer.Respond(IPAddress.Parse("127.0.0.2"), 200);
        await using var first = LoopbackServer.Respond(
            IPAddress.Loopback, 302, "", $"Location: http://127.0.0.2:{target.Port}/\r\n");
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1", "127.0.0.2"]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => http.SendAsync(
            Get($"http://127.0.0.1:{first.Port}/"), _ => throw new InvalidOperationException("not granted"), CancellationToken.None));
        Assert.Equal(0, target.AcceptedConnections);
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(6, false)]
    public async Task Exactly_five_redirects_are_followed_and_a_sixth_is_refused(int chain, bool succeeds)
    {
        // /hop/N redirects to /hop/N-1; /hop/0 answers 200. A chain of N takes N redirects, N + 1 requests.
        await using var server = new LoopbackServer(IPAddress.Loopback, (head, stream, ct) =>
        {
            var left = int.Parse(head.Target["/hop/".Length..], System.Globalization.CultureInfo.InvariantCulture);
            return left == 0
                ? LoopbackServer.WriteAsync(stream, 200, "arrived", "", ct)
                : LoopbackServer.WriteAsync(stream, 302, "", $"Location: /hop/{left - 1}\r\n", ct);
        });
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1"]);
        var request = Get($"http://127.0.0.1:{server.Port}/hop/{chain}");

        if (succeeds)
        {
            var response = await http.SendAsync(request, null, CancellationToken.None);
            Assert.Equal(200, response.StatusCode);
            Assert.Equal($"http://127.0.0.1:{server.Port}/hop/0", response.FinalUrl);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => http.SendAsync(request, null, CancellationToken.None));
            Assert.Equal(OutboundErrorCodes.TooManyRedirects, ex.Code);
        }

        // Five redirects followed in both cases: the sixth Location is never requested.
        Assert.Equal(6, server.AcceptedConnections);
    }

    [Theory]
    [InlineData("http://user:pw@127.0.0.2:{port}/")]
    [InlineData("http://pw@127.0.0.2:{port}/")]
    [InlineData("ftp://127.0.0.2:{port}/pw")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://127.0.0.2:{port}/pw")]
    [InlineData("http://127.0.0.2:{port}/{long}")]
    public async Task Redirect_hop_is_refused_by_the_url_rules_before_the_target_is_contacted(string location)
    {
        await using var target = LoopbackServer.Respond(IPAddress.Parse("127.0.0.2"), 200, "reached");
        var port = target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var hop = location.Replace("{port}", port, StringComparison.Ordinal).Replace("{long}", new string('a', 2100), StringComparison.Ordinal);
        await using var first = LoopbackServer.Respond(IPAddress.Loopback, 302, "", $"Location: {hop}\r\n");
        // The target's address is allowed: only the URL rules can stop this hop.
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1", "127.0.0.2"]);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(Get($"http://127.0.0.1:{first.Port}/start?key=SECRET"), null, CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.InvalidUrl, ex.Code);
        Assert.Equal(1, first.AcceptedConnections);
        Assert.Equal(0, target.AcceptedConnections);
        Assert.DoesNotContain("SECRET", ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pw", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("aaaa", ex.Message, StringComparison.Ordinal);
    }
}
