using System.Net;
using Carapace.Abstractions.Http;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// A rebinding DNS server answers a public address first and 127.0.0.1 afterwards. The guard resolves
/// once per connection and connects to exactly the address it validated, so the loopback listener the
/// test opens must never see a connection.
/// </summary>
public sealed class RebindingTests
{
    [Fact]
    public async Task Rebinding_resolver_never_reaches_the_loopback_listener()
    {
        // The loopback victim, and a "public" stand-in on the same port of 127.0.0.2 that only an explicit
        // allowPrivate entry makes reachable (the test has no internet).
        await using var victim = LoopbackServer.Respond(IPAddress.Loopback, 200, "victim");
        await using var publicStandIn = LoopbackServer.Respond(IPAddress.Parse("127.0.0.2"), 200, "public", port: victim.Port);
        var resolver = new FakeResolver().MapByCall(
            "rebind.example", call => call == 0 ? [IPAddress.Parse("127.0.0.2")] : [IPAddress.Loopback]);
        using var http = OutboundTestKit.SafeHttp(resolver, allowPrivate: ["127.0.0.2"]);
        var url = $"http://rebind.example:{victim.Port}/";

        var first = await http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None);
        Assert.Equal("public", System.Text.Encoding.UTF8.GetString(first.Body.Span));

        for (var i = 0; i < 3; i++)
        {
            // Each response closed its connection, so every later request reconnects and re-resolves.
            var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
                () => http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None));
            Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
            Assert.Contains("127.0.0.1", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, victim.AcceptedConnections);
        Assert.Equal(1, publicStandIn.AcceptedConnections);
        Assert.Equal(4, resolver.Calls("rebind.example")); // one lookup per connection, never a second one
    }

    [Fact]
    public async Task Public_first_answer_is_the_address_connected_to_and_the_rebound_answer_is_refused()
    {
        await using var victim = LoopbackServer.Respond(IPAddress.Loopback, 200, "victim");
        await using var internet = LoopbackServer.Respond(IPAddress.Loopback, 200, "public");
        var connector = new RecordingConnector(new IPEndPoint(IPAddress.Loopback, internet.Port));
        var resolver = new FakeResolver().MapByCall(
            "rebind.example", call => call == 0 ? [IPAddress.Parse("93.184.215.14")] : [IPAddress.Loopback]);
        using var http = OutboundTestKit.SafeHttp(resolver, connector: connector.ConnectAsync);
        var url = $"http://rebind.example:{victim.Port}/";

        var ok = await http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None);
        Assert.Equal(200, ok.StatusCode);
        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None));
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);

        var endpoint = Assert.Single(connector.Endpoints);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("93.184.215.14"), victim.Port), endpoint);
        Assert.Equal(0, victim.AcceptedConnections);
        Assert.Equal(2, resolver.Calls("rebind.example"));
    }

    [Fact]
    public async Task Host_header_stays_the_name_while_the_socket_goes_to_the_validated_address()
    {
        var host = new TaskCompletionSource<string>();
        await using var server = new LoopbackServer(IPAddress.Loopback, (head, stream, ct) =>
        {
            host.TrySetResult(head.Headers["Host"]);
            return LoopbackServer.WriteAsync(stream, 200, "ok", "", ct);
        });
        var resolver = new FakeResolver().Map("api.lan.example", "127.0.0.1");
        using var http = OutboundTestKit.SafeHttp(resolver, allowPrivate: ["127.0.0.1"]);

        await http.SendAsync(new PluginHttpRequest("GET", $"http://api.lan.example:{server.Port}/"), null, CancellationToken.None);

        Assert.Equal($"api.lan.example:{server.Port}", await host.Task);
        Assert.Equal(1, resolver.Calls("api.lan.example"));
    }
}
