using System.Net;
using System.Text.Json;
using Carapace.Host.Api;
using Carapace.Host.Audit;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.Api;

public sealed class AuditApiTests
{
    private const string Token = "audit-token";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Fact]
    public async Task Audit_returns_the_newest_events_oldest_first_and_needs_auth()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var anonymous = gateway.Client();
        using var authed = gateway.Client(Token);
        await anonymous.GetAsync("/control/status");
        gateway.Service<IAuditLog>().Write(AuditEvents.PluginLoaded, new Dictionary<string, object?> { ["plugin_id"] = "demo" });

        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/control/audit"), HttpStatusCode.Unauthorized, "unauthorized");
        JsonElement events = default;
        await Poll.UntilAsync(async () =>
        {
            var json = JsonDocument.Parse(await authed.GetStringAsync("/control/audit?n=2")).RootElement;
            events = json.GetProperty("events").Clone();
            return events.GetArrayLength() == 2;
        }, TimeSpan.FromSeconds(10), "two audit events");

        // The second 401 (to /control/audit) is newer than the plugin event.
        Assert.Equal(AuditEvents.PluginLoaded, events[0].GetProperty("event").GetString());
        Assert.Equal(AuditEvents.AuthFailure, events[1].GetProperty("event").GetString());
        Assert.Equal("127.0.0.1", events[1].GetProperty("data").GetProperty("remote_ip").GetString());
        Assert.Equal("/control/audit", events[1].GetProperty("data").GetProperty("path").GetString());
        Assert.True(events[1].GetProperty("ts").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
    }

    [Theory]
    [InlineData("n=0")]
    [InlineData("n=10001")]
    [InlineData("n=x")]
    [InlineData("n=1&n=2")]
    public async Task Bad_n_is_400(string query)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);

        await ProblemAssert.IsProblemAsync(await authed.GetAsync($"/control/audit?{query}"), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task A_torn_last_line_is_skipped_and_reported()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);
        await File.AppendAllTextAsync(gateway.AuditPath, "{\"ts\":\"2026-01-01T00:00:00.000Z\",\"event\":\"x\",\"data\":{}}\n{\"ts\":\"2026");

        var json = JsonDocument.Parse(await authed.GetStringAsync("/control/audit?n=10")).RootElement;

        Assert.Equal("x", json.GetProperty("events").EnumerateArray().Last().GetProperty("event").GetString());
        Assert.Equal(1, json.GetProperty("skipped").GetInt32());
    }

    [Fact]
    public async Task An_unreadable_audit_log_is_503_problem_not_a_500()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var authed = gateway.Client(Token);
        Directory.CreateDirectory(gateway.AuditPath);   // EISDIR for the reader

        var problem = await ProblemAssert.IsProblemAsync(await authed.GetAsync("/control/audit"), HttpStatusCode.ServiceUnavailable,
            AuditApi.UnavailableCode);

        Assert.Contains("cannot be read", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await authed.GetAsync("/control/status")).StatusCode);
    }
}
