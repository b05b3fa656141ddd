using System.Net;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Auth;

/// <summary>
/// Hostile requests sent byte for byte (HttpClient would normalise most of them away). None may reach a
/// control endpoint without the credential; none may cause a 500.
/// </summary>
public sealed class BypassTests
{
    private const string Token = "bypass-token-3e9";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Theory]
    [InlineData("/control/status")]
    [InlineData("/Control/status")]
    [InlineData("/CONTROL/STATUS")]
    [InlineData("//control/status")]
    [InlineData("/control//status")]
    [InlineData("/control/./status")]
    [InlineData("/./control/status")]
    [InlineData("/control/../control/status")]
    [InlineData("/health/../control/status")]
    [InlineData("/control%2fstatus")]
    [InlineData("/control%2Fstatus")]
    [InlineData("/%63ontrol/status")]
    [InlineData("/control/%73tatus")]
    [InlineData("/control/status/")]
    [InlineData("/control/status.")]
    [InlineData("/control/status%00")]
    [InlineData("/control/status%20")]
    [InlineData("/control/status;x=1")]
    [InlineData("/control/status?token=" + Token)]
    [InlineData("/control/status#x")]
    [InlineData("http://localhost/control/status")]
    [InlineData("/control\\status")]
    [InlineData("/control/status%2f..%2f..%2fhealth")]
    public async Task Path_tricks_never_reach_a_control_endpoint_without_the_credential(string target)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get(target));

        Assert.True(response.Status is 400 or 401 or 404, $"{target} -> {response.Status}\n{response.Raw}");
        Assert.DoesNotContain("\"ok\":true", response.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("TRACE")]
    [InlineData("POST")]
    [InlineData("DELETE")]
    [InlineData("CONNECT")]
    [InlineData("PROPFIND")]
    public async Task Every_method_on_a_control_path_needs_the_credential(string method)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get(method == "CONNECT" ? "localhost:80" : "/control/status", method: method, extraHeaders: "Content-Length: 0\r\n"));

        Assert.True(response.Status is 400 or 401, $"{method} -> {response.Status}\n{response.Raw}");
    }

    [Fact]
    public async Task Trace_is_never_echoed_even_with_the_credential()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get("/control/status", method: "TRACE", extraHeaders: $"Authorization: Bearer {Token}\r\nX-Echo-Me: secret\r\n"));

        Assert.Equal(405, response.Status);
        Assert.DoesNotContain("X-Echo-Me", response.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, response.Raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bearer " + Token)]
    [InlineData("Bearer\t" + Token)]
    [InlineData("Bearer " + Token + " extra")]
    [InlineData("Bearer \"" + Token + "\"")]
    [InlineData("Bearer=" + Token)]
    [InlineData("Basic " + Token)]
    [InlineData("Bearer " + Token + ",Bearer " + Token)]
    public async Task Malformed_authorization_values_are_rejected(string value)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/control/status", extraHeaders: $"Authorization: {value}\r\n"));

        Assert.Equal(401, response.Status);
    }

    [Theory]
    [InlineData("Bearer  " + Token)]
    [InlineData("Bearer \t " + Token)]
    [InlineData("Bearer " + Token + "   ")]
    [InlineData("Bearer  \t" + Token + " \t")]
    public async Task Extra_whitespace_around_the_right_token_is_trimmed_and_accepted_as_upstream(string value)
    {
        // upstream-contract.md 2.1: the prefix "Bearer " is case-sensitive and the value after it is trimmed.
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/control/status", extraHeaders: $"Authorization: {value}\r\n"));

        Assert.Equal(200, response.Status);
        Assert.Contains("\"ok\":true", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_authorization_headers_are_rejected_even_if_one_is_right()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        foreach (var (first, second) in new[] { ("Bearer " + Token, "Bearer wrong"), ("Bearer wrong", "Bearer " + Token), ("Bearer " + Token, "Bearer " + Token) })
        {
            var response = await RawHttp.SendAsync(gateway.BaseAddress,
                RawHttp.Get("/control/status", extraHeaders: $"Authorization: {first}\r\nAuthorization: {second}\r\n"));
            Assert.Equal(401, response.Status);
        }
    }

    [Theory]
    [InlineData("X-Forwarded-For: 127.0.0.1\r\n")]
    [InlineData("X-Real-IP: 127.0.0.1\r\n")]
    [InlineData("Forwarded: for=127.0.0.1\r\n")]
    [InlineData("X-Forwarded-Host: localhost\r\nX-Forwarded-Proto: https\r\n")]
    public async Task Forwarding_headers_do_not_authenticate_in_token_mode(string headers)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/control/status", extraHeaders: headers));

        Assert.Equal(401, response.Status);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("LOCALHOST:18789")]
    public async Task Host_localhost_from_a_non_loopback_peer_is_not_local_in_mode_none(string host)
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  auth:\n    mode: none\n");

        var remote = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/control/status", host), Peers.Remote);
        var local = await RawHttp.SendAsync(gateway.BaseAddress, RawHttp.Get("/control/status", host));

        Assert.Equal(401, remote.Status);
        Assert.Equal(200, local.Status);
    }

    [Fact]
    public async Task Trusted_proxies_never_make_a_request_local_in_mode_none()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  auth:\n    mode: none\n  trustedProxies:\n    - 127.0.0.0/8\n");

        var viaProxy = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get("/control/status", "localhost", "X-Forwarded-For: 127.0.0.1\r\n"), Peers.Remote);
        var viaLoopbackProxy = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get("/control/status", "localhost", "X-Forwarded-For: 127.0.0.1\r\n"));

        Assert.Equal(401, viaProxy.Status);
        Assert.Equal(401, viaLoopbackProxy.Status);
    }

    [Theory]
    [InlineData("GET /control/status HTTP/1.0\r\n\r\n")]                                     // no Host at all
    [InlineData("GET /control/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /control/status HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("GET  /control/status HTTP/1.1\r\nHost: localhost\r\n\r\n")]
    [InlineData("GET /control/status HTTP/9.9\r\nHost: localhost\r\n\r\n")]
    [InlineData("GET /control/status\r\n\r\n")]
    [InlineData("get /control/status HTTP/1.1\r\nHost: localhost\r\n\r\n")]
    [InlineData("GET /control/status HTTP/1.1\r\nHost: localhost\r\nAuthorization : Bearer " + Token + "\r\n\r\n")]
    [InlineData("GET /control/status HTTP/1.1\r\nHost: localhost\r\n Authorization: Bearer " + Token + "\r\n\r\n")]
    public async Task Malformed_requests_are_refused_not_served(string request)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());

        var response = await RawHttp.SendAsync(gateway.BaseAddress, request);

        Assert.True(response.Status is 0 or 400 or 401 or 404 or 405 or 421 or 505, $"{response.Status}\n{response.Raw}");
    }
}
