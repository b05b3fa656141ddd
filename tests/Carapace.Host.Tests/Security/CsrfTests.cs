using System.Net;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Security;

/// <summary>The CSRF matrix against the real server. The gateway's own origin is http://127.0.0.1:PORT.</summary>
public sealed class CsrfTests
{
    private const string Token = "csrf-token-77";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Theory]
    [InlineData("POST", "https://evil.example", null)]
    [InlineData("PUT", "https://evil.example", null)]
    [InlineData("PATCH", "https://evil.example", null)]
    [InlineData("DELETE", "https://evil.example", null)]
    [InlineData("PROPFIND", "https://evil.example", null)]
    [InlineData("POST", "null", null)]
    [InlineData("POST", "http://127.0.0.1", null)]                   // same host, other port
    [InlineData("POST", "https://127.0.0.1:{port}", null)]           // other scheme
    [InlineData("POST", "http://localhost:{port}", null)]            // other host name for the same machine
    [InlineData("POST", "http://evil.127.0.0.1.nip.io:{port}", null)]
    [InlineData("POST", "not a url", null)]
    [InlineData("POST", null, "https://evil.example/page")]          // Referer when Origin is absent
    [InlineData("POST", null, "http://127.0.0.1:1/x")]
    public async Task Foreign_origin_on_a_state_changing_control_request_is_403_before_auth(string method, string? origin, string? referer)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var anonymous = gateway.Client();
        using var authed = gateway.Client(Token);

        foreach (var client in new[] { anonymous, authed })
        {
            var response = await client.SendAsync(Request(method, "/control/status", gateway, origin, referer));

            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, CsrfProtection.Code);
            Assert.DoesNotContain("evil", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("POST", "http://127.0.0.1:{port}", null)]
    [InlineData("POST", "HTTP://127.0.0.1:{port}", null)]
    [InlineData("POST", null, "http://127.0.0.1:{port}/ui/page?x=1")]
    [InlineData("POST", null, null)]                                 // curl and cara send neither
    [InlineData("GET", "https://evil.example", null)]                // safe methods are not checked
    [InlineData("HEAD", "https://evil.example", null)]
    [InlineData("OPTIONS", "https://evil.example", null)]
    public async Task Same_origin_absent_origin_and_safe_methods_pass_to_authentication(string method, string? origin, string? referer)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var anonymous = gateway.Client();

        var response = await anonymous.SendAsync(Request(method, "/control/status", gateway, origin, referer));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Same_origin_request_with_credentials_reaches_the_endpoint()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);

        var response = await authed.SendAsync(Request("POST", "/control/status", gateway, "http://127.0.0.1:{port}", null));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Theory]
    [InlineData("session={token}")]
    [InlineData("__Host-session={token}")]
    [InlineData("token={token}")]
    [InlineData("Authorization=Bearer%20{token}")]
    [InlineData("carapace_token={token}; session={token}")]
    public async Task A_cookie_never_authenticates_and_no_response_sets_one(string cookie)
    {
        // Upstream's CSRF cookie step protects cookie sessions; this gateway has none. Prove a cookie carrying the
        // token is ignored on every method, with or without Origin, so there is nothing for a forged request to ride.
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        var value = cookie.Replace("{token}", Token, StringComparison.Ordinal);
        var self = $"127.0.0.1:{gateway.BaseAddress.Port}";

        foreach (var (method, origin) in new[] { ("GET", ""), ("POST", ""), ("POST", $"Origin: http://{self}\r\n"), ("DELETE", "") })
        {
            // Sent byte for byte: HttpClient's cookie handling must not decide what reaches the server.
            var response = await RawHttp.SendAsync(gateway.BaseAddress,
                RawHttp.Get("/control/status", self, $"Cookie: {value}\r\n{origin}Content-Length: 0\r\n", method));

            Assert.True(response.Status == 401, $"{method} with Cookie: {value} -> {response.Status}\n{response.Raw}");
            Assert.Contains("\"code\":\"unauthorized\"", response.Body, StringComparison.Ordinal);
            Assert.False(response.Headers.ContainsKey("Set-Cookie"), $"{method} answered with Set-Cookie");
        }

        using var authed = gateway.Client(Token);
        Assert.False((await authed.GetAsync("/control/status")).Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("/CONTROL/status")]
    [InlineData("/control/status/")]
    [InlineData("/control/no-such-endpoint")]
    [InlineData("/control")]
    public async Task Every_spelling_of_a_control_path_is_checked(string path)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);

        var response = await authed.SendAsync(Request("DELETE", path, gateway, "https://evil.example", null));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, CsrfProtection.Code);
    }

    [Theory]
    [InlineData("GET", "cross-site")]
    [InlineData("GET", "same-site")]
    [InlineData("OPTIONS", "cross-site")]
    [InlineData("POST", "same-site")]
    public async Task Browser_requests_marked_cross_site_are_refused_whatever_the_method(string method, string site)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);
        var request = Request(method, "/control/status", gateway, null, null);
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", site);

        await ProblemAssert.IsProblemAsync(await authed.SendAsync(request), HttpStatusCode.Forbidden, CsrfProtection.Code);
    }

    [Theory]
    [InlineData("same-origin")]
    [InlineData("none")]
    public async Task Browser_requests_from_the_gateways_own_origin_or_typed_urls_pass(string site)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);
        var request = Request("GET", "/control/status", gateway, null, null);
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", site);

        Assert.Equal(HttpStatusCode.OK, (await authed.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Public_paths_are_not_csrf_checked()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();

        var response = await client.SendAsync(Request("POST", "/health", gateway, "https://evil.example", null));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task Allowed_origins_from_the_configuration_pass()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            "gateway:\n  csrf:\n    allowedOrigins:\n      - https://Carapace.Example\n", TokenEnv());
        using var client = gateway.Client();

        var allowed = await client.SendAsync(Request("POST", "/control/status", gateway, "https://carapace.example:443", null));
        var other = await client.SendAsync(Request("POST", "/control/status", gateway, "https://carapace.example:8443", null));

        Assert.Equal(HttpStatusCode.Unauthorized, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Fact]
    public async Task Two_origin_headers_are_refused()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        var origin = $"http://127.0.0.1:{gateway.BaseAddress.Port}";

        var response = await RawHttp.SendAsync(gateway.BaseAddress,
            RawHttp.Get("/control/status", $"127.0.0.1:{gateway.BaseAddress.Port}",
                $"Origin: {origin}\r\nOrigin: https://evil.example\r\nContent-Length: 0\r\n", method: "POST"));

        Assert.Equal(HttpStatusCode.Forbidden, response.Code);
    }

    [Fact]
    public async Task Refusals_are_logged_and_counted()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client(Token);

        await client.SendAsync(Request("POST", "/control/status", gateway, "https://evil.example", null));

        Assert.True(gateway.LogContains("CSRF check refused POST /control/status from 127.0.0.1"));
        var metrics = await client.GetStringAsync("/control/metrics");
        Assert.Contains("carapace_csrf_rejections_total 1", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://x.example/", true)]
    [InlineData("https://user@x.example", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("null", false)]
    public void Origins_that_idna_or_uri_parsing_rejects_match_nothing(string origin, bool valid) =>
        Assert.Equal(valid, CsrfProtection.TryNormalizeOrigin(origin, out _));

    [Fact]
    public void A_host_name_idna_rejects_is_refused_instead_of_throwing()
    {
        // Found by the configuration fuzz test: Uri.IdnHost throws for a lone surrogate in the host.
        Assert.False(CsrfProtection.TryNormalizeOrigin("https://x.exam" + '\ud800' + "le", out _));
    }

    private static HttpRequestMessage Request(string method, string path, GatewayFixture gateway, string? origin, string? referer)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        var port = gateway.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin.Replace("{port}", port, StringComparison.Ordinal));
        }

        if (referer is not null)
        {
            request.Headers.TryAddWithoutValidation("Referer", referer.Replace("{port}", port, StringComparison.Ordinal));
        }

        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        return request;
    }
}
