using System.Diagnostics;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>The bundled plugins behind the real `cara start`, driven by the real `cara` verbs.</summary>
public sealed class PluginCommandsProcessTests
{
    private const string Token = "plugin-cli-token";

    private static async Task<(RunningGateway Gateway, string Root)> StartAsync(TempDirectory dir, params string[] extraArgs)
    {
        var root = Directory.CreateDirectory(Path.Combine(dir.Path, "files-root")).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "note.txt"), "hello from the files tool");
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, $"plugins:\n  files:\n    roots: [\"{root}\"]\nchannels:\n  console:\n    tools: [files_read]\n");
        var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?>
        {
            ["CARAPACE_GATEWAY_TOKEN"] = Token,
            ["CARAPACE_CONFIG_PATH"] = config,
        }, extraArgs);
        return (gateway, root);
    }

    [Fact]
    public async Task Plugins_tools_and_channels_verbs_work_against_the_real_gateway()
    {
        using var dir = new TempDirectory();
        var (gateway, _) = await StartAsync(dir);
        await using var _gateway = gateway;

        var list = await gateway.CaraAsync(Token, "plugins", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"files\s+active", list.Stdout);
        Assert.Matches(@"console\s+disabled", list.Stdout);

        var strict = await gateway.CaraAsync(Token, "plugins", "status", "--strict");
        Assert.True(strict.ExitCode == 0, strict.ToString());

        var tools = await gateway.CaraAsync(Token, "tools", "list");
        Assert.Contains("files_read", tools.Stdout, StringComparison.Ordinal);

        var read = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "{\"path\":\"note.txt\"}");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("hello from the files tool", read.Stdout, StringComparison.Ordinal);

        var escape = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "{\"path\":\"../../etc/passwd\"}");
        Assert.Equal(1, escape.ExitCode);
        Assert.Contains("tool_failed", escape.Stderr, StringComparison.Ordinal);

        var badArgs = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "[]");
        Assert.Equal(1, badArgs.ExitCode);

        var disable = await gateway.CaraAsync(Token, "plugins", "disable", "files");
        Assert.True(disable.ExitCode == 0, disable.ToString());
        var status = await gateway.CaraAsync(Token, "plugins", "status", "files");
        Assert.Matches(@"files\s+disabled", status.Stdout);
        Assert.Contains("unload", status.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "enable", "files")).ExitCode);
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "reload", "files")).ExitCode);

        var unknown = await gateway.CaraAsync(Token, "plugins", "disable", "nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("plugin_not_found", unknown.Stderr, StringComparison.Ordinal);

        var channels = await gateway.CaraAsync(Token, "channels", "list");
        Assert.Contains("webhook", channels.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_channel_routes_a_typed_command_to_a_tool_and_prints_the_reply()
    {
        using var dir = new TempDirectory();
        var (gateway, _) = await StartAsync(dir, "--console");
        await using var _gateway = gateway;

        await gateway.WriteLineAsync("/files_read path=note.txt");

        await Poll.UntilAsync(() => gateway.Stdout.Contains("hello from the files tool", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the console reply");
    }
}
