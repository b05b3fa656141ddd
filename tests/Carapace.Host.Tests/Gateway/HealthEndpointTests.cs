using System.Net;
using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.Gateway;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Health_is_public_and_reports_status_version_and_uptime()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var client = gateway.Client();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal("0.1.0", json.GetProperty("version").GetString());
        Assert.True(json.GetProperty("uptimeSeconds").GetInt64() >= 0);
    }

    [Fact]
    public async Task Ready_is_200_when_the_state_dir_is_writable()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var client = gateway.Client();

        var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_is_503_with_a_reason_when_the_state_dir_is_not_writable()
    {
        using var dir = new TempDirectory();
        var blocker = Path.Combine(dir.Path, "a-file");
        await File.WriteAllTextAsync(blocker, "x");
        await using var gateway = await GatewayFixture.StartAsync(stateDirOverride: Path.Combine(blocker, "state"));
        using var client = gateway.Client();

        var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.RetryAfter?.ToString());
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("not_ready", json.GetProperty("status").GetString());
        Assert.Contains("not writable", json.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.True(gateway.LogContains("cannot be used"));
    }

    [Fact]
    public async Task Unknown_public_path_is_404_problem_json()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var client = gateway.Client();

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/nope"), HttpStatusCode.NotFound, "not_found");
    }
}
