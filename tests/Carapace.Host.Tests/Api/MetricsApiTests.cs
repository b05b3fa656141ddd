using System.Diagnostics.Metrics;
using System.Net;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;
using Microsoft.Extensions.DependencyInjection;

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
    public async Task Components_publish_metrics_through_a_carapace_meter()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv(),
            configureServices: services => services.AddSingleton<PretendPluginRuntime>());
        using var authed = gateway.Client(Token);
        var runtime = gateway.Service<PretendPluginRuntime>();

        runtime.Invoked("echo", TimeSpan.FromMilliseconds(12));
        runtime.Invoked("echo", TimeSpan.FromMilliseconds(30));

        string text = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            text = await authed.GetStringAsync("/control/metrics");
            return text.Contains("carapace_plugins_tool_invocations", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "the component's metrics");
        Assert.Contains("tool=\"echo\"", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_loaded{state=\"active\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("carapace_plugins_tool_duration", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft_AspNetCore", text, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>What the plugin runtime will do: a Meter named Carapace.* from the gateway's IMeterFactory.</summary>
    private sealed class PretendPluginRuntime
    {
        private readonly Counter<long> _invocations;
        private readonly Histogram<double> _duration;

        public PretendPluginRuntime(IMeterFactory meters)
        {
            var meter = meters.Create("Carapace.Plugins");
            _invocations = meter.CreateCounter<long>("tool.invocations");
            _duration = meter.CreateHistogram<double>("tool.duration", unit: "s");
            meter.CreateObservableGauge("loaded", () => new Measurement<int>(2, new KeyValuePair<string, object?>("state", "active")));
        }

        public void Invoked(string tool, TimeSpan took)
        {
            _invocations.Add(1, new KeyValuePair<string, object?>("tool", tool));
            _duration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("tool", tool));
        }
    }
}
