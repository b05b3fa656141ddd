using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

public sealed class ConfigCommandTests
{
    [Fact]
    public async Task Path_prints_the_default_location_and_notes_defaults_apply()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "path");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Path.Combine(dir.Path, ".config", "carapace", "carapace.yaml"), result.Stdout.Trim());
        Assert.Contains("built-in defaults apply", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_and_get_redact_secrets()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "c.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  port: 19123\n  auth:\n    token: top-secret-value\n");

        var show = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "show", "--config", config);
        var port = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "get", "gateway.port", "--config", config);
        var token = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "get", "gateway.auth.token", "--config", config);

        Assert.Equal(0, show.ExitCode);
        Assert.DoesNotContain("top-secret-value", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", show.Stdout, StringComparison.Ordinal);
        Assert.Equal("19123", port.Stdout.Trim());
        Assert.Equal("[REDACTED]", token.Stdout.Trim());
    }

    [Fact]
    public async Task Get_of_a_missing_key_exits_1()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "get", "gateway.nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Key not found: gateway.nope", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_accepts_a_good_file_and_rejects_a_bad_one_with_key_and_line()
    {
        using var dir = new TempDirectory();
        var good = Path.Combine(dir.Path, "good.yaml");
        var bad = Path.Combine(dir.Path, "bad.yaml");
        await File.WriteAllTextAsync(good, "gateway:\n  port: 18790\n");
        await File.WriteAllTextAsync(bad, "gateway:\n  port: 18790\n  bind: moon\n");

        var ok = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "validate", good);
        var fail = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "config", "validate", bad);

        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("is valid", ok.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, fail.ExitCode);
        Assert.Contains("bad.yaml:3:9: gateway.bind: must be loopback, lan, all or an IP address (got 'moon')", fail.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "version");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("cara 0.1.0", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("network:\n  allowPrivate: [10.0.0.1/8]\n", "network.allowPrivate.0: '10.0.0.1/8': host bits set (did you mean 10.0.0.0/8?)")]
    [InlineData("sandbox:\n  profiles:\n    default:\n      network: wide\n", "sandbox.profiles.default.network: 'wide' is not 'none' or 'ports'")]
    [InlineData("sandbox:\n  profiles:\n    default:\n      stdoutMaxBytes: 0\n", "sandbox.profiles.default.stdoutMaxBytes: 0 is not in [1, 67108864] bytes (64 MiB)")]
    [InlineData("sandbox:\n  profiles:\n    default:\n      timeoutSeconds: 0\n", "sandbox.profiles.default.timeoutSeconds: 0 is not in (0, 86400] seconds")]
    [InlineData("plugins:\n  runtime:\n    toolTimeoutSeconds: -1\n", "plugins.runtime.toolTimeoutSeconds: must be a number of seconds")]
    [InlineData("credentials:\n  backend: plaintext-file\n", "credentials.backend: must be one of")]
    // This suite runs on Linux: the macOS and Windows keychains are refused before first use, not at it.
    [InlineData("credentials:\n  backend: macos-keychain\n", "credentials.backend: macos-keychain is only available on macOS")]
    [InlineData("credentials:\n  backend: windows-credential-manager\n", "credentials.backend: windows-credential-manager is only available on Windows")]
    public async Task Validate_rejects_what_start_rejects_with_the_same_message(string yaml, string expected)
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, yaml);
        var env = CaraProcess.IsolatedEnvironment(dir);

        var validate = await CaraProcess.RunAsync(env, "config", "validate", config);
        var start = await CaraProcess.RunAsync(env, "start", "--config", config, "--port", "0");

        Assert.Equal(2, validate.ExitCode);
        Assert.Equal(2, start.ExitCode);
        Assert.Contains(expected, validate.Stderr, StringComparison.Ordinal);
        Assert.Equal(ErrorLines(validate.Stderr), ErrorLines(start.Stderr));
        Assert.DoesNotContain("is valid", validate.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_with_an_invalid_gateway_section_exits_2_naming_the_key_and_sends_nothing()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  port: 19000\n  bind: everywhere\n  auth:\n    token: config-token\n");
        var env = CaraProcess.IsolatedEnvironment(dir);

        var status = await CaraProcess.RunAsync(env, "status", "--config", config);

        Assert.Equal(2, status.ExitCode);
        Assert.Contains("configuration error:", status.Stderr, StringComparison.Ordinal);
        Assert.Contains("gateway.bind", status.Stderr, StringComparison.Ordinal);
        // Before, the section was dropped and cara went to the default port with no configured token.
        Assert.DoesNotContain("Could not connect", status.Stderr + status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("18789", status.Stderr + status.Stdout, StringComparison.Ordinal);
    }

    // The "configuration error:" block: one indented line per problem.
    private static string[] ErrorLines(string stderr) =>
        stderr.Split('\n').Select(l => l.TrimEnd('\r')).SkipWhile(l => l != "configuration error:").Skip(1).Where(l => l.StartsWith("  ", StringComparison.Ordinal)).ToArray();
}
