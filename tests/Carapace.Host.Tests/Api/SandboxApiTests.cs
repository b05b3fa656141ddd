using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.Api;

public sealed class SandboxApiTests
{
    [Fact]
    public async Task Sandbox_report_says_what_this_machine_enforces()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" });
        using var client = gateway.Client("t");

        var json = JsonDocument.Parse(await client.GetStringAsync("/control/sandbox")).RootElement;

        Assert.Equal("linux", json.GetProperty("os").GetString());
        Assert.Equal("passed", json.GetProperty("selfTest").GetString());
        Assert.False(json.GetProperty("runsRefused").GetBoolean());
        Assert.NotEmpty(json.GetProperty("restrictions").EnumerateArray());
        Assert.Equal(9, json.GetProperty("landlockKnownAbi").GetInt32());
    }

    [Fact]
    public async Task A_launcher_that_does_not_confine_fails_the_self_test_and_the_report_says_runs_are_refused()
    {
        // The seam: a "launcher" that claims confinement (writes the marker) and lets the probe succeed.
        using var dir = new TempDirectory();
        var fake = Path.Combine(dir.Path, "fake-launcher");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\nprintf '\\006'\nexit 0\n");
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        await using var gateway = await GatewayFixture.StartAsync($"sandbox:\n  launcherPath: {fake}\n", new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" });
        using var client = gateway.Client("t");

        var json = JsonDocument.Parse(await client.GetStringAsync("/control/sandbox")).RootElement;

        Assert.Equal("failed", json.GetProperty("selfTest").GetString());
        Assert.Equal("a confined probe read the canary file outside its roots (exit 0)", json.GetProperty("selfTestDetail").GetString());
        Assert.True(json.GetProperty("runsRefused").GetBoolean());
        Assert.Equal("sandbox self-test failed: a confined probe read the canary file outside its roots (exit 0)", json.GetProperty("refusalReason").GetString());
    }

    [Fact]
    public async Task An_unavailable_backend_is_reported_as_refusing_runs_with_the_reason()
    {
        await using var gateway = await GatewayFixture.StartAsync("sandbox:\n  launcherPath: /nonexistent/carapace-sandbox-exec\n",
            new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" });
        using var client = gateway.Client("t");

        var json = JsonDocument.Parse(await client.GetStringAsync("/control/sandbox")).RootElement;

        Assert.Equal("failed", json.GetProperty("selfTest").GetString());
        Assert.True(json.GetProperty("runsRefused").GetBoolean());
        Assert.Equal("sandbox launcher '/nonexistent/carapace-sandbox-exec' does not exist", json.GetProperty("refusalReason").GetString());
    }
}
