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
        Assert.Equal("state_dir_not_writable", json.GetProperty("reasons")[0].GetString());
        // The public probe names no path; the log (and /control/status) have the details.
        Assert.DoesNotContain(dir.Path, json.GetRawText(), StringComparison.Ordinal);
        Assert.True(gateway.LogContains("cannot be used"));
    }

    [Fact]
    public async Task Ready_names_a_crashed_channel_by_id_only_and_never_its_error_text()
    {
        // The channel's LastError is an exception message ("the transport went away" here); such text can hold secrets.
        using var bundle = new TempDirectory();
        var source = Path.Combine(AppContext.BaseDirectory, "fixture-packages", "crashing-channel");
        var target = Directory.CreateDirectory(Path.Combine(bundle.Path, "crashing-channel")).FullName;
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        const string token = "ready-token-1";
        await using var gateway = await GatewayFixture.StartAsync("plugins:\n  runtime:\n    channelMaxRestarts: 0\n",
            new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = token }, bundledPluginsDirectory: bundle.Path);
        using var anonymous = gateway.Client();
        using var authorised = gateway.Client(token);
        string body = string.Empty;
        await Poll.UntilAsync(async () =>
        {
            var response = await anonymous.GetAsync("/health/ready");
            body = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, TimeSpan.FromSeconds(20), "the crashed channel to make the gateway not ready");

        var reasons = JsonDocument.Parse(body).RootElement.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.Equal(["channel_error:crashing-channel"], reasons);
        Assert.DoesNotContain("transport went away", body, StringComparison.Ordinal);
        Assert.DoesNotContain(gateway.StateDir, body, StringComparison.Ordinal);
        Assert.DoesNotContain("CrashingChannelException", body, StringComparison.Ordinal);

        // The details stay available behind authentication.
        Assert.Contains("the transport went away", await authorised.GetStringAsync("/control/channels"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_public_path_is_404_problem_json()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var client = gateway.Client();

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/nope"), HttpStatusCode.NotFound, "not_found");
    }
}
