using System.Globalization;
using System.Net;
using Carapace.Host.Audit;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Security;

/// <summary>DNS rebinding: /control/* answers only to this gateway's own names, before authentication.</summary>
public sealed class HostHeaderTests
{
    private const string Token = "host-token-31";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Fact]
    public async Task A_rebound_host_is_421_before_auth_and_its_guesses_cannot_lock_the_user_out()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var attacker = gateway.Client("wrong");
        var port = gateway.BaseAddress.Port.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < 10; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
            request.Headers.Host = "attacker.example:" + port;
            request.Headers.TryAddWithoutValidation("Origin", "http://attacker.example:" + port);
            await ProblemAssert.IsProblemAsync(await attacker.SendAsync(request), HttpStatusCode.MisdirectedRequest, HostHeaderCheck.Code);
        }

        using var right = gateway.Client(Token);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/control/status")).StatusCode);

        // /health stays public under any name.
        using var health = new HttpRequestMessage(HttpMethod.Get, "/health");
        health.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.OK, (await attacker.SendAsync(health)).StatusCode);

        // Nothing reached authentication: no failure was audited.
        Assert.Equal(0, AuditFile.Read(gateway.AuditPath).Count(AuditEvents.AuthFailure));
        Assert.True(gateway.LogContains("Host 'attacker.example:" + port + "' is not a name of this gateway"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST.")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("carapace.lan")]            // gateway.tls.hostNames
    [InlineData("proxy.example")]           // host of gateway.csrf.allowedOrigins
    public async Task The_gateways_own_names_are_admitted(string host)
    {
        await using var gateway = await GatewayFixture.StartAsync(
            "gateway:\n  tls:\n    selfSigned: true\n    hostNames: [carapace.lan]\n  csrf:\n    allowedOrigins: ['https://proxy.example']\n", TokenEnv());
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var client = new HttpClient(handler) { BaseAddress = gateway.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.Host = host + ":" + gateway.BaseAddress.Port.ToString(CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token);

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("localhost.attacker.example")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("carapace.lan")]             // not configured here
    [InlineData("10.1.2.3")]                 // an address this listener is not on
    public async Task Foreign_names_are_refused_for_every_control_route_and_method(string host)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client(Token);
        foreach (var (method, path) in new[] { ("GET", "/control/status"), ("POST", "/control/config"), ("GET", "/Control/Status/"), ("GET", "/control/nope") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Host = host;
            await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.MisdirectedRequest, HostHeaderCheck.Code);
        }
    }
}
