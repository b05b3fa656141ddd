using System.Net;
using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Api;

public sealed class LogsApiTests
{
    private const string Token = "logs-token";

    [Fact]
    public async Task Logs_return_startup_and_auth_failure_events_newest_last()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using (var anonymous = gateway.Client())
        {
            await anonymous.GetAsync("/control/status");
        }

        using var client = gateway.Client(Token);
        var json = JsonDocument.Parse(await client.GetStringAsync("/control/logs?n=200")).RootElement;

        var messages = json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains(messages, m => m.StartsWith("Carapace 0.1.0 starting", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Listening on http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Control auth failed from 127.0.0.1", StringComparison.Ordinal));
        var sequences = json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
    }

    [Fact]
    public async Task N_limits_the_count_and_after_returns_only_newer_entries()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var client = gateway.Client(Token);

        var two = JsonDocument.Parse(await client.GetStringAsync("/control/logs?n=2")).RootElement;
        Assert.Equal(2, two.GetProperty("entries").GetArrayLength());
        Assert.True(two.GetProperty("truncated").GetBoolean());

        var last = two.GetProperty("lastSequence").GetInt64();
        var newer = JsonDocument.Parse(await client.GetStringAsync($"/control/logs?after={last}")).RootElement;
        Assert.All(newer.GetProperty("entries").EnumerateArray(), e => Assert.True(e.GetProperty("sequence").GetInt64() > last));
    }

    [Theory]
    [InlineData("n=0")]
    [InlineData("n=10001")]
    [InlineData("n=abc")]
    [InlineData("n=-5")]
    [InlineData("after=-1")]
    public async Task Bad_query_is_400_invalid_request(string query)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var client = gateway.Client(Token);

        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/control/logs?{query}"), HttpStatusCode.BadRequest, "invalid_request");
    }
}
