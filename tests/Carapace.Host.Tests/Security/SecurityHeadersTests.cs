using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.Security;

public sealed class SecurityHeadersTests
{
    private const string Token = "headers-token";

    [Fact]
    public async Task Every_kind_of_response_carries_the_upstream_headers()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            "gateway:\n  rateLimit:\n    requestsPerSecond: 1\n    burst: 1\n    exemptLoopback: false\n",
            new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var client = gateway.Client();

        var responses = new List<HttpResponseMessage> { await client.GetAsync("/health") };   // 200 (uses the one token)
        // 429, rate limited: asked until it comes rather than assumed for the next request, because on a slow
        // machine the bucket's next token (1/s) may already be back.
        HttpResponseMessage limited = null!;
        await Poll.UntilAsync(async () =>
        {
            limited = await client.GetAsync("/control/status");
            return limited.StatusCode == HttpStatusCode.TooManyRequests;
        }, TimeSpan.FromSeconds(30), "a rate-limited response");
        responses.Add(limited);
        await using var relaxed = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var other = relaxed.Client();
        responses.Add(await other.GetAsync("/nope"));                                   // 404
        responses.Add(await other.GetAsync("/control/status"));                         // 401
        responses.Add(await other.PostAsync("/health", null));                          // 405
        using var big = new ByteArrayContent(new byte[300 * 1024]);
        responses.Add(await other.PostAsync("/control/status", big));                  // 413

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.NotFound, HttpStatusCode.Unauthorized,
            HttpStatusCode.MethodNotAllowed, HttpStatusCode.RequestEntityTooLarge], responses.Select(r => r.StatusCode));
        foreach (var response in responses)
        {
            Assert.Equal(SecurityHeaders.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Equal(SecurityHeaders.PermissionsPolicy, response.Headers.GetValues("Permissions-Policy").Single());
            Assert.False(response.Headers.Contains("Strict-Transport-Security"), "no HSTS over plain HTTP");
            Assert.False(response.Headers.Contains("Server"));
        }
    }

    [Fact]
    public async Task The_csp_is_upstreams_exact_string()
    {
        Assert.Equal(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' wss: ws:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            SecurityHeaders.ContentSecurityPolicy);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Control_responses_are_not_stored_by_caches_and_public_ones_are_unaffected()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var anonymous = gateway.Client();
        using var authed = gateway.Client(Token);

        Assert.Equal("no-store", (await authed.GetAsync("/control/status")).Headers.CacheControl?.ToString());
        Assert.Equal("no-store", (await anonymous.GetAsync("/control/status")).Headers.CacheControl?.ToString());
        Assert.Equal("no-store", (await authed.GetAsync("/CONTROL/missing")).Headers.CacheControl?.ToString());
        Assert.Null((await anonymous.GetAsync("/health")).Headers.CacheControl);
    }

    [Fact]
    public async Task Unhandled_errors_keep_the_headers()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token },
            configureServices: services => services.AddSingleton<Carapace.Host.Gateway.IRuntimeSummary, ThrowingSummary>());
        using var client = gateway.Client(Token);

        var response = await client.GetAsync("/control/status");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError, "internal_error");
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    private sealed class ThrowingSummary : Carapace.Host.Gateway.IRuntimeSummary
    {
        public Carapace.Protocol.Status.PluginCounts Plugins => throw new InvalidOperationException("boom");
        public Carapace.Protocol.Status.ChannelCounts Channels => throw new InvalidOperationException("boom");
    }
}
