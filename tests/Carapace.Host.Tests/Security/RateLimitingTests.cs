using System.Net;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Tests.Security;

/// <summary>Per-client token buckets against the real server; 127.0.0.2 plays a non-loopback client.</summary>
public sealed class RateLimitingTests
{
    private const string Tight = "gateway:\n  rateLimit:\n    requestsPerSecond: 1\n    burst: 5\n";

    [Fact]
    public async Task Non_loopback_client_gets_429_problem_with_retry_after_under_the_default_limits()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var client = gateway.RemoteClient();

        // Upstream's probe 16: rapid requests from a non-loopback client; the burst is 200, refilled at 100/s.
        var responses = await Burst(client, "/health", 600);

        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var first = limited[0];
        await ProblemAssert.IsProblemAsync(first, HttpStatusCode.TooManyRequests, GatewayRateLimiting.Code);
        Assert.True(int.Parse(first.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("nosniff", first.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Loopback_is_never_rate_limited_by_default()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight);
        using var client = gateway.Client();

        var responses = await Burst(client, "/health", 300);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Loopback_is_limited_when_the_exemption_is_switched_off()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight + "    exemptLoopback: false\n");
        using var client = gateway.Client();

        var responses = await Burst(client, "/health", 30, parallel: 1);

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) < 15);
    }

    [Fact]
    public async Task Control_paths_are_rate_limited_and_the_429_carries_no_store()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" });
        using var client = gateway.RemoteClient("t");

        var responses = await Burst(client, "/control/status", 30, parallel: 1);

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var limited = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("no-store", limited.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Tool_invocation_and_webhooks_have_their_own_smaller_bucket()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            "gateway:\n  rateLimit:\n    requestsPerSecond: 1\n    burst: 100\n    invokeRequestsPerSecond: 1\n    invokeBurst: 3\n");
        using var client = gateway.RemoteClient();

        var webhooks = await Burst(client, "/plugins/demo/hook", 10, parallel: 1);
        var health = await Burst(client, "/health", 10, parallel: 1);

        Assert.True(webhooks.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests) >= 3);
        Assert.All(health, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight + "  trustedProxies:\n    - 127.0.0.1\n");
        using var client = gateway.Client();

        var first = await Burst(client, "/health", 20, parallel: 1, forwardedFor: "203.0.113.7");
        var second = await Burst(client, "/health", 3, parallel: 1, forwardedFor: "203.0.113.8");
        var direct = await Burst(client, "/health", 20, parallel: 1);

        Assert.Contains(first, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.All(second, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(direct, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Forwarded_for_from_an_untrusted_peer_changes_nothing()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight);
        using var loopback = gateway.Client();
        using var remote = gateway.RemoteClient();

        // A loopback client claiming to be remote is still exempt; a remote one claiming loopback is still limited.
        var fromLoopback = await Burst(loopback, "/health", 20, parallel: 1, forwardedFor: "203.0.113.7");
        var fromRemote = await Burst(remote, "/health", 20, parallel: 1, forwardedFor: "127.0.0.1");

        Assert.All(fromLoopback, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Contains(fromRemote, r => r.StatusCode == HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Rate_limiting_can_be_disabled()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  rateLimit:\n    enabled: false\n    requestsPerSecond: 1\n    burst: 1\n");
        using var client = gateway.RemoteClient();

        Assert.All(await Burst(client, "/health", 20, parallel: 1), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.True(gateway.LogContains("Rate limiting is disabled"));
    }

    [Theory]
    [InlineData("/plugins/x", true)]
    [InlineData("/PLUGINS/x/y", true)]
    [InlineData("/plugins", true)]
    [InlineData("/pluginsx", false)]
    [InlineData("/control/tools/echo/invoke", true)]
    [InlineData("/Control/Tools/echo/Invoke/", true)]
    [InlineData("/control/tools/echo", false)]
    [InlineData("/control/tools/invoke", false)]
    [InlineData("/control/tools/a/b/invoke", false)]
    [InlineData("/control/status", false)]
    [InlineData("/health", false)]
    public void Invoke_routes_are_recognised_in_any_case(string path, bool expected) =>
        Assert.Equal(expected, GatewayRateLimiting.IsInvokeRoute(new PathString(path)));

    private static async Task<List<HttpResponseMessage>> Burst(HttpClient client, string path, int count, int parallel = 8,
        string? forwardedFor = null)
    {
        var results = new List<HttpResponseMessage>();
        var gate = new Lock();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (_, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (forwardedFor is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            }

            var response = await client.SendAsync(request, ct);
            await response.Content.LoadIntoBufferAsync(ct);
            lock (gate)
            {
                results.Add(response);
            }
        });
        return results;
    }
}
