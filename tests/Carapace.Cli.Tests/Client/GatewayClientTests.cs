using System.Net;
using Carapace.Cli.Client;

namespace Carapace.Cli.Tests.Client;

/// <summary>What the client puts on the wire, over a recording handler (no network needed).</summary>
public sealed class GatewayClientTests
{
    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") });
        }
    }

    [Fact]
    public async Task Allow_plaintext_sends_the_bearer_credential_to_a_non_loopback_host()
    {
        using var handler = new RecordingHandler();
        using var client = new GatewayClient(new GatewayTarget("192.0.2.10", 18789, "remote-secret", AllowPlaintext: true), handler);

        var response = await client.GetAsync("control/status", authenticated: true, CancellationToken.None);

        Assert.True(response.IsSuccess);
        var request = Assert.Single(handler.Requests);
        Assert.Equal(new Uri("http://192.0.2.10:18789/control/status"), request.RequestUri);
        Assert.Equal("Bearer", request.Headers.Authorization?.Scheme);
        Assert.Equal("remote-secret", request.Headers.Authorization?.Parameter);
    }

    [Fact]
    public async Task Without_allow_plaintext_nothing_is_sent_to_a_non_loopback_host()
    {
        using var handler = new RecordingHandler();
        using var client = new GatewayClient(new GatewayTarget("192.0.2.10", 18789, "remote-secret", AllowPlaintext: false), handler);

        var ex = await Assert.ThrowsAsync<CliException>(() => client.GetAsync("control/status", authenticated: true, CancellationToken.None));

        Assert.Contains("Refusing to send credentials over plain HTTP to 192.0.2.10", ex.Message, StringComparison.Ordinal);
        Assert.Empty(handler.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1", false, false, true)]
    [InlineData("127.0.0.2", false, false, true)]
    [InlineData("::1", false, false, true)]
    [InlineData("localhost", false, false, true)]
    [InlineData("192.0.2.10", false, false, false)]
    [InlineData("gateway.example", false, false, false)]
    [InlineData("192.0.2.10", true, false, true)]
    [InlineData("192.0.2.10", false, true, true)]
    public void Credentials_go_in_cleartext_only_to_loopback_or_when_allowed(string host, bool allowPlaintext, bool tls, bool expected) =>
        Assert.Equal(expected, new GatewayTarget(host, 18789, "c", allowPlaintext) { UseTls = tls }.MaySendCredential);

    [Fact]
    public async Task Unauthenticated_requests_never_carry_a_credential()
    {
        using var handler = new RecordingHandler();
        using var client = new GatewayClient(new GatewayTarget("192.0.2.10", 18789, "remote-secret", AllowPlaintext: false), handler);

        await client.GetAsync("health", authenticated: false, CancellationToken.None);

        Assert.Null(Assert.Single(handler.Requests).Headers.Authorization);
    }
}
