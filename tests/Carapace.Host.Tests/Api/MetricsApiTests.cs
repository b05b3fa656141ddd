using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Host.Audit;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Sandbox;

namespace Carapace.Host.Tests.Api;

public sealed class MetricsApiTests
{
    private const string Token = "metrics-token";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Fact]
    public async Task Metrics_need_auth_and_count_requests_by_route_and_status_and_auth_failures()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var anonymous = gateway.Client();
        using var authed = gateway.Client(Token);
        await anonymous.GetAsync("/health");
        await anonymous.GetAsync("/health");
        await anonymous.GetAsync("/nope/123");

        var denied = await anonymous.GetAsync("/control/metrics");
        await ProblemAssert.IsProblemAsync(denied, HttpStatusCode.Unauthorized, "unauthorized");
        var response = await authed.GetAsync("/control/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("carapace_http_requests_total{route=\"/health\",method=\"GET\",status=\"200\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("carapace_http_requests_total{route=\"(unmatched)\",method=\"GET\",status=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_http_requests_total{route=\"/control/metrics\",method=\"GET\",status=\"401\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_auth_failures_total 1", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE carapace_auth_lockouts_total counter", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE carapace_rate_limited_requests_total counter", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/nope/123", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_methods_do_not_grow_the_series()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);
        foreach (var method in new[] { "FOO", "BAR", "BAZ" })
        {
            await authed.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/health"));
        }

        var text = await authed.GetStringAsync("/control/metrics");

        Assert.Contains("method=\"other\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FOO", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plugin_states_tool_invocations_and_sandbox_runs_are_exported()
    {
        await using var gateway = await GatewayFixture.StartAsync("plugins:\n  runtime:\n    toolTimeoutSeconds: 5\n", env: TokenEnv(), withPlugins: true);
        using var authed = gateway.Client(Token);

        Assert.Equal(HttpStatusCode.OK, (await authed.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "one" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await authed.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "two" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await authed.PostAsJsonAsync("/control/tools/echo/invoke", new { delayMs = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await authed.PostAsJsonAsync("/control/tools/no-such-tool-x1/invoke", new { })).StatusCode);
        var shell = await authed.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/bin/echo", args = new[] { "metered" } });
        Assert.Equal(HttpStatusCode.OK, shell.StatusCode);
        var plugins = JsonDocument.Parse(await authed.GetStringAsync("/control/plugins")).RootElement.GetProperty("plugins")
            .EnumerateArray().Select(p => p.GetProperty("state").GetString()!).ToList();

        var text = await authed.GetStringAsync("/control/metrics");

        // prometheus-net's meter adapter: labels in name order, no unit suffixes, counters typed as gauges.
        Assert.Contains("carapace_plugins_tool_invocations{outcome=\"ok\",tool=\"echo\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_tool_invocations{outcome=\"invalid_arguments\",tool=\"echo\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_tool_invocations{outcome=\"tool_not_found\",tool=\"(unknown)\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_tool_invocations{outcome=\"ok\",tool=\"shell\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("no-such-tool-x1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_tool_duration_count{tool=\"echo\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_tool_duration_bucket{tool=\"echo\",le=\"0.001\"}", text, StringComparison.Ordinal);
        Assert.Contains($"carapace_plugins_plugins{{state=\"active\"}} {plugins.Count(s => s == "active")}", text, StringComparison.Ordinal);
        Assert.Contains($"carapace_plugins_plugins{{state=\"disabled\"}} {plugins.Count(s => s == "disabled")}", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_plugins{state=\"leaked\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("carapace_sandbox_runs{outcome=\"exited\",profile=\"default\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_sandbox_run_duration_count{profile=\"default\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft_AspNetCore", text, StringComparison.OrdinalIgnoreCase);

        // Recording must not pin a plugin: metered calls ran inside the plugins' flows, yet both unload.
        foreach (var id in new[] { "shell", "good-tool" })
        {
            var disabled = JsonDocument.Parse(await (await authed.PostAsync($"/control/plugins/{id}/disable", null)).Content.ReadAsStringAsync());
            Assert.Equal("disabled", disabled.RootElement.GetProperty("plugin").GetProperty("state").GetString());
        }
    }

    [Fact]
    public async Task Sandbox_refusals_and_timeouts_are_counted_and_profile_labels_stay_bounded()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);
        var sink = gateway.Service<ISandboxEventSink>();

        // What the broker reports when it cannot confine a run, or a run hits its wall-clock limit.
        sink.RunRefused(new SandboxRefusal("plugin:shell", "default", "/bin/sh", "landlock unavailable"));
        sink.RunRefused(new SandboxRefusal("plugin:x", "made-up-profile-42", "/bin/sh", "no such profile"));
        sink.RunCompleted(new SandboxRunSummary("plugin:shell", "default", "/bin/sleep", 1, null, 137, TimedOut: true, TimeSpan.FromSeconds(10)));
        sink.RunCompleted(new SandboxRunSummary(null, null, "/bin/true", 2, null, 0, TimedOut: false, TimeSpan.FromMilliseconds(3)));

        var text = await authed.GetStringAsync("/control/metrics");

        Assert.Contains("carapace_sandbox_runs{outcome=\"refused\",profile=\"default\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_sandbox_runs{outcome=\"refused\",profile=\"(other)\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_sandbox_runs{outcome=\"timed_out\",profile=\"default\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_sandbox_runs{outcome=\"exited\",profile=\"(none)\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("carapace_sandbox_run_duration_count{profile=\"default\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("made-up-profile-42", text, StringComparison.Ordinal);
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.SandboxRefused) == 2, "both refusals audited");
    }
}
