using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

public sealed class SandboxCommandTests
{
    [Fact]
    public async Task Check_reports_landlock_and_a_passing_self_test()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "sandbox", "check", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal("linux", json.GetProperty("os").GetString());
        Assert.True(json.GetProperty("landlockAbi").GetInt32() >= 4);
        Assert.Equal(9, json.GetProperty("landlockKnownAbi").GetInt32());
        Assert.Equal(Math.Min(9, json.GetProperty("landlockAbi").GetInt32()), json.GetProperty("landlockEffectiveAbi").GetInt32());
        Assert.Equal("passed", json.GetProperty("selfTest").GetString());
        Assert.False(json.GetProperty("runsRefused").GetBoolean());
        // The build publishes the NativeAOT launcher whenever clang is on PATH (tests/setup/10-sandbox.sh installs it).
        Assert.Equal(Toolchain.ClangOnPath ? "native-aot" : "framework-dependent", json.GetProperty("launcherKind").GetString());
    }

    [Fact]
    public async Task Check_exits_1_when_the_launcher_is_missing()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "sandbox:\n  launcherPath: /nonexistent/carapace-sandbox-exec\n");

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "sandbox", "check", "--config", config);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("REFUSED", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_exits_1_when_the_self_test_fails()
    {
        using var dir = new TempDirectory();
        var fake = Path.Combine(dir.Path, "fake-launcher");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\nprintf '\\006'\nexit 0\n");
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, $"sandbox:\n  launcherPath: {fake}\n");

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "sandbox", "check", "--json", "--config", config);

        Assert.Equal(1, result.ExitCode);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        Assert.Equal("failed", json.GetProperty("selfTest").GetString());
        Assert.True(json.GetProperty("runsRefused").GetBoolean());
        Assert.StartsWith("sandbox self-test failed: a confined probe read the canary file", json.GetProperty("refusalReason").GetString(), StringComparison.Ordinal);
    }
}
