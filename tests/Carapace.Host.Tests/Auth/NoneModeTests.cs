using System.Net;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Auth;

/// <summary>Mode 'none' is an explicit opt-in that admits only direct loopback requests.</summary>
public sealed class NoneModeTests
{
    private const string NoneYaml = "gateway:\n  auth:\n    mode: none\n";

    [Fact]
    public async Task Direct_loopback_request_is_admitted()
    {
        await using var gateway = await GatewayFixture.StartAsync(NoneYaml);
        using var client = gateway.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/control/status")).StatusCode);
        Assert.True(gateway.LogContains("WITHOUT credentials"));
    }

    [Theory]
    [InlineData("X-Forwarded-For", "127.0.0.1")]
    [InlineData("X-Real-IP", "127.0.0.1")]
    [InlineData("X-Forwarded-Host", "localhost")]
    [InlineData("Forwarded", "for=127.0.0.1")]
    public async Task Forwarding_headers_never_make_a_request_local(string header, string value)
    {
        await using var gateway = await GatewayFixture.StartAsync(NoneYaml);
        using var client = gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.TryAddWithoutValidation(header, value);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Foreign_host_header_is_not_local()
    {
        await using var gateway = await GatewayFixture.StartAsync(NoneYaml);
        using var client = gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.Host = "evil.example";

        // Refused before auth mode 'none' is even consulted: a foreign Host is a DNS-rebinding attempt.
        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.MisdirectedRequest, Carapace.Host.Security.HostHeaderCheck.Code);
    }
}
