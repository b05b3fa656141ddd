namespace Carapace.Sandbox.Tests.Linux;

[Collection(SandboxCollection.Name)]
public sealed class EnvironmentTests(SandboxFixture fx)
{
    [Fact]
    public async Task Gateway_token_and_other_secrets_never_reach_the_child()
    {
        Environment.SetEnvironmentVariable("CARAPACE_GATEWAY_TOKEN", "host-secret-token");
        Environment.SetEnvironmentVariable("TZ", "UTC");
        var names = new[] { "CARAPACE_GATEWAY_TOKEN", "LD_PRELOAD", "DOTNET_STARTUP_HOOKS", "COMPlus_EnableDiagnostics", "MY_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "FOO" };
        var request = SandboxFixture.Request("/usr/bin/env") with
        {
            Environment = names.ToDictionary(n => n, n => "value-of-" + n),
            EnvironmentAllowlist = names.ToHashSet(),
            InheritEnvironment = ["CARAPACE_GATEWAY_TOKEN", "TZ"],
        };

        var result = await fx.Broker.RunAsync(request, default);

        Assert.Equal(0, result.ExitCode);
        var env = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
        Assert.DoesNotContain("host-secret-token", result.StdoutText, StringComparison.Ordinal);
        Assert.Equal(["FOO", "HOME", "LANG", "PATH", "TMPDIR", "TZ"], env.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("value-of-FOO", env["FOO"]);
        Assert.Equal(env["HOME"], env["TMPDIR"]);
        Assert.NotEqual(Environment.GetEnvironmentVariable("HOME"), env["HOME"]);
    }

    [Fact]
    public async Task Names_not_on_the_allowlist_are_dropped()
    {
        var request = SandboxFixture.Request("/usr/bin/env") with
        {
            Environment = new Dictionary<string, string> { ["ALLOWED"] = "1", ["SNEAKY"] = "2" },
            EnvironmentAllowlist = new HashSet<string> { "ALLOWED" },
        };

        var result = await fx.Broker.RunAsync(request, default);

        Assert.Contains("ALLOWED=1\n", result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("SNEAKY", result.StdoutText, StringComparison.Ordinal);
    }
}
