using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
        var run = await UntilLimitedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, "/health"), parallel: 16);

        Assert.True(run.Ok >= 200, $"only {run.Ok} requests passed before the first 429");
        await ProblemAssert.IsProblemAsync(run.Limited, HttpStatusCode.TooManyRequests, GatewayRateLimiting.Code);
        Assert.Equal("1", run.Limited.Headers.RetryAfter!.ToString());
        Assert.Equal("nosniff", run.Limited.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Tool_invocation_past_its_burst_from_a_non_loopback_peer_is_429_with_an_honest_retry_after()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" },
            withPlugins: true);
        using var client = gateway.RemoteClient("t");

        var run = await UntilLimitedAsync(client, () => new HttpRequestMessage(HttpMethod.Post, "/control/tools/echo/invoke")
        {
            Content = JsonContent.Create(new { text = "burst" }),
        }, parallel: 16);

        // 50/s with a burst of 100: at least the burst passed, and the passing calls really ran the tool.
        Assert.True(run.Ok >= 100, $"only {run.Ok} invocations passed before the first 429");
        Assert.All(run.Passed, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var problem = await ProblemAssert.IsProblemAsync(run.Limited, HttpStatusCode.TooManyRequests, GatewayRateLimiting.Code);
        // A token comes back every 20 ms, so the answer is the smallest whole number of seconds; waiting it out works.
        var retryAfter = int.Parse(run.Limited.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture);
        Assert.Equal(1, retryAfter);
        Assert.Equal(retryAfter, problem.GetProperty("retryAfter").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);   // the general bucket is separate

        await Task.Delay(TimeSpan.FromSeconds(retryAfter));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "after" })).StatusCode);
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

        var run = await UntilLimitedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, "/health"));

        run.AssertWithinBucket(burst: 5, perSecond: 1);
    }

    [Fact]
    public async Task Control_paths_are_rate_limited_and_the_429_carries_no_store()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" });
        using var client = gateway.RemoteClient("t");

        var run = await UntilLimitedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, "/control/status"));

        Assert.Contains(run.Passed, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal("no-store", run.Limited.Headers.CacheControl?.ToString());
        run.AssertWithinBucket(burst: 5, perSecond: 1);
    }

    [Fact]
    public async Task Tool_invocation_and_webhooks_have_their_own_smaller_bucket()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            "gateway:\n  rateLimit:\n    requestsPerSecond: 1\n    burst: 100\n    invokeRequestsPerSecond: 1\n    invokeBurst: 3\n");
        using var client = gateway.RemoteClient();

        var webhooks = await UntilLimitedAsync(client, () => new HttpRequestMessage(HttpMethod.Get, "/plugins/demo/hook"));
        var health = await Burst(client, "/health", 10, parallel: 1);

        webhooks.AssertWithinBucket(burst: 3, perSecond: 1);
        Assert.All(health, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket()
    {
        await using var gateway = await GatewayFixture.StartAsync(Tight + "  trustedProxies:\n    - 127.0.0.1\n");
        using var proxy = gateway.Client();
        using var direct = gateway.Client();

        var first = await UntilLimitedAsync(proxy, () => Forwarded(HttpMethod.Get, "/health", "203.0.113.7"));
        var second = await Burst(proxy, "/health", 3, parallel: 1, forwardedFor: "203.0.113.8");
        var loopback = await Burst(direct, "/health", 20, parallel: 1);

        first.AssertWithinBucket(burst: 5, perSecond: 1);
        Assert.All(second, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(loopback, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Theory]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("X-Forwarded-For", "127.0.0.1")]
    [InlineData("X-Real-IP", "127.0.0.1")]
    [InlineData("Forwarded", "for=127.0.0.1")]
    public async Task Forwarding_headers_never_earn_the_loopback_exemption(string header, string value)
    {
        // Decision (docs/security.md): a relayed request is not this machine's own, so it is limited even from a
        // loopback peer (typically a local reverse proxy not listed in trustedProxies); from a remote peer the
        // header changes nothing at all.
        await using var gateway = await GatewayFixture.StartAsync(Tight);
        using var loopback = gateway.Client();
        using var remote = gateway.RemoteClient();

        HttpRequestMessage Relayed()
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/health");
            request.Headers.TryAddWithoutValidation(header, value);
            return request;
        }

        var relayedByLoopback = await UntilLimitedAsync(loopback, Relayed);
        var fromRemote = await UntilLimitedAsync(remote, Relayed);
        var plainLoopback = await Burst(loopback, "/health", 20, parallel: 1);

        relayedByLoopback.AssertWithinBucket(burst: 5, perSecond: 1);
        fromRemote.AssertWithinBucket(burst: 5, perSecond: 1);
        Assert.All(plainLoopback, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
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

    private static HttpRequestMessage Forwarded(HttpMethod method, string path, string forwardedFor)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return request;
    }

    /// <summary>
    /// Sends requests (from <paramref name="parallel"/> workers) until the first 429, with a deadline instead of
    /// a fixed count: on a slow machine fewer requests fit in a second, and a fixed count might never outrun the
    /// refill. What passed is then checked against the bucket's arithmetic for the time it actually took.
    /// </summary>
    private static async Task<LimitedRun> UntilLimitedAsync(HttpClient client, Func<HttpRequestMessage> request, int parallel = 1)
    {
        var passed = new List<HttpResponseMessage>();
        HttpResponseMessage? limited = null;
        var gate = new Lock();
        var watch = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Parallel.ForAsync(0, parallel, async (_, _) =>
        {
            while (!deadline.IsCancellationRequested)
            {
                lock (gate)
                {
                    if (limited is not null)
                    {
                        return;
                    }
                }

                using var message = request();
                var response = await client.SendAsync(message, deadline.Token);
                await response.Content.LoadIntoBufferAsync(deadline.Token);
                lock (gate)
                {
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        limited ??= response;
                    }
                    else if (limited is null)
                    {
                        passed.Add(response);
                    }
                }
            }
        });

        var elapsed = watch.Elapsed;
        var answer = limited ?? throw new TimeoutException("no 429 within 60 s");
        return new LimitedRun(passed, answer, await answer.Content.ReadAsStringAsync(), elapsed);
    }

    private sealed record LimitedRun(List<HttpResponseMessage> Passed, HttpResponseMessage Limited, string LimitedBody, TimeSpan Elapsed)
    {
        public int Ok => Passed.Count;

        /// <summary>A token bucket lets through its burst plus one token per period elapsed, never more.</summary>
        public void AssertWithinBucket(int burst, int perSecond)
        {
            var allowed = burst + (int)Math.Floor(Elapsed.TotalSeconds * perSecond) + 1;
            Assert.InRange(Ok, burst, allowed);
            Assert.Equal(HttpStatusCode.TooManyRequests, Limited.StatusCode);
            Assert.Equal(GatewayRateLimiting.Code, JsonDocument.Parse(LimitedBody).RootElement.GetProperty("code").GetString());
        }
    }

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
