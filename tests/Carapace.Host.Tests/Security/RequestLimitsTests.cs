using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Tests.Security;

public sealed class RequestLimitsTests
{
    private const string Token = "limits-token";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Fact]
    public async Task A_declared_oversize_body_is_413_problem_before_authentication()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var anonymous = gateway.Client();

        using var body = new ByteArrayContent(new byte[256 * 1024 + 1]);
        var response = await anonymous.PostAsync("/control/status", body);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task A_body_at_the_cap_is_accepted_and_the_cap_is_configurable()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  limits:\n    maxBodyBytes: 2048\n", TokenEnv());
        using var authed = gateway.Client(Token);

        var atCap = await authed.PostAsync("/control/status", new ByteArrayContent(new byte[2048]));
        var over = await authed.PostAsync("/control/status", new ByteArrayContent(new byte[2049]));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, atCap.StatusCode);
        await ProblemAssert.IsProblemAsync(over, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task A_chunked_oversize_body_is_413_problem_when_read()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  limits:\n    maxBodyBytes: 4096\n", TokenEnv(),
            configureApp: TestEndpoints.Map);
        var chunk = new string('a', 1000);
        var body = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            body.Append("3e8\r\n").Append(chunk).Append("\r\n");
        }

        body.Append("0\r\n\r\n");
        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get(TestEndpoints.Echo, "127.0.0.1", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n", method: "POST") + body);

        Assert.Equal(413, response.Status);
        Assert.Contains("\"code\":\"payload_too_large\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_headers_is_431_problem()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var headers = string.Concat(Enumerable.Range(0, 120).Select(i => $"X-Filler-{i}: x\r\n"));

        var response = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/health", extraHeaders: headers));

        Assert.Equal(431, response.Status);
        Assert.StartsWith("application/problem+json", response.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("\"code\":\"headers_too_large\"", response.Body, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers["X-Frame-Options"]);
    }

    [Fact]
    public async Task Oversize_headers_are_431_problem()
    {
        await using var gateway = await GatewayFixture.StartAsync();

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get("/health", extraHeaders: $"X-Big: {new string('x', 40 * 1024)}\r\n"));

        Assert.Equal(431, response.Status);
        Assert.Contains("\"code\":\"headers_too_large\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_beyond_the_hard_backstop_are_refused_by_kestrel()
    {
        await using var gateway = await GatewayFixture.StartAsync();

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get("/health", extraHeaders: $"X-Big: {new string('x', 80 * 1024)}\r\n"));

        Assert.Equal(431, response.Status);
    }

    [Fact]
    public async Task Slowloris_partial_headers_are_cut_off_by_the_header_timeout()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  limits:\n    requestHeadersTimeoutSeconds: 1\n");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.BaseAddress.Host, gateway.BaseAddress.Port);
        var stream = tcp.GetStream();
        var watch = Stopwatch.StartNew();
        await stream.WriteAsync("GET /health HTTP/1.1\r\nHost: localhost\r\n"u8.ToArray());

        // Trickle one header byte at a time: activity must not extend the deadline.
        var closed = false;
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (watch.Elapsed < TimeSpan.FromSeconds(15) && !closed)
        {
            try
            {
                await stream.WriteAsync("X"u8.ToArray());
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                var read = await stream.ReadAsync(buffer, wait.Token);
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                closed = read == 0;
            }
            catch (OperationCanceledException)
            {
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the connection was still open after 15 s of trickled headers");
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("200 OK", received.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_per_address_are_capped_and_freed_on_close()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  limits:\n    maxConnectionsPerIp: 2\n");
        var limits = gateway.Service<ConnectionLimits>();
        using var first = Peers.Tcp(Peers.Remote, gateway.BaseAddress);
        using var second = Peers.Tcp(Peers.Remote, gateway.BaseAddress);
        await Poll.UntilAsync(() => limits.OpenFrom(Peers.Remote) >= 2, TimeSpan.FromSeconds(10), "two connections to be accepted");

        using var third = Peers.Tcp(Peers.Remote, gateway.BaseAddress);
        var closed = await IsRefused(third.GetStream(), Encoding.ASCII.GetBytes(RawHttp.Get("/health")));

        Assert.True(closed, "a third connection from the same address was served");
        using (var loopback = gateway.Client())
        {
            Assert.Equal(HttpStatusCode.OK, (await loopback.GetAsync("/health")).StatusCode);
        }

        first.Dispose();
        await Poll.UntilAsync(() => limits.OpenFrom(Peers.Remote) < 2, TimeSpan.FromSeconds(10), "a connection to be released");
        var response = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/health"), Peers.Remote);
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task The_total_connection_cap_holds_across_addresses_and_frees_on_close()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  limits:\n    maxConnections: 2\n");
        var limits = gateway.Service<ConnectionLimits>();
        IPAddress[] peers = [IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4"), IPAddress.Parse("127.0.0.5")];
        using var first = Peers.Tcp(peers[0], gateway.BaseAddress);
        using var second = Peers.Tcp(peers[1], gateway.BaseAddress);
        await Poll.UntilAsync(() => limits.OpenFrom(peers[0]) == 1 && limits.OpenFrom(peers[1]) == 1, TimeSpan.FromSeconds(10),
            "two connections from two addresses to be accepted");

        // Each address is far below its own cap (64); the third connection is over the total.
        using var third = Peers.Tcp(peers[2], gateway.BaseAddress);
        Assert.True(await IsRefused(third.GetStream(), Encoding.ASCII.GetBytes(RawHttp.Get("/health"))), "a third connection was served");
        Assert.Equal(0, limits.OpenFrom(peers[2]));

        first.Dispose();
        await Poll.UntilAsync(async () =>
        {
            try
            {
                return (await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/health"), peers[2])).Status == 200;
            }
            catch (IOException)
            {
                return false;   // refused while the closed connection was still counted
            }
        }, TimeSpan.FromSeconds(10), "a freed slot to admit a new connection");
    }

    [Fact]
    public async Task A_route_can_declare_its_own_body_cap()
    {
        var endpoint = new RouteEndpoint(_ => Task.CompletedTask, Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse("/upload"), 0,
            new EndpointMetadataCollection(new BodyLimit(10)), "upload");
        using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddLogging().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        var feature = new SizeFeature { MaxRequestBodySize = 1000 };
        context.Features.Set<IHttpMaxRequestBodySizeFeature>(feature);
        context.SetEndpoint(endpoint);
        context.Request.ContentLength = 11;
        context.Response.Body = new MemoryStream();
        var reached = false;
        var app = new ApplicationBuilder(services);
        app.UseRequestBodyLimits();
        app.Run(_ =>
        {
            reached = true;
            return Task.CompletedTask;
        });

        await app.Build()(context);

        Assert.False(reached);
        Assert.Equal(413, context.Response.StatusCode);
        Assert.Equal(10, feature.MaxRequestBodySize);
    }

    // The server may reset the connection before the request is even written; that is a refusal too.
    private static async Task<bool> IsRefused(NetworkStream stream, byte[] request)
    {
        try
        {
            await stream.WriteAsync(request);
        }
        catch (IOException)
        {
            return true;
        }

        return await ReadsEof(stream);
    }

    private static async Task<bool> ReadsEof(NetworkStream stream)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[1024];
            return await stream.ReadAsync(buffer, timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private sealed class SizeFeature : IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly => false;
        public long? MaxRequestBodySize { get; set; }
    }
}
