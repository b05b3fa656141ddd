using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>The bundled plugins behind the real `cara start`, driven by the real `cara` verbs.</summary>
public sealed class PluginCommandsProcessTests
{
    private const string Token = "plugin-cli-token";

    private static Task<(RunningGateway Gateway, string Root)> StartAsync(TempDirectory dir, params string[] extraArgs) =>
        StartWithConfigAsync(dir, string.Empty, extraArgs);

    /// <param name="extraYaml">More configuration; a <c>plugins:</c> block in it is merged into the base one.</param>
    private static async Task<(RunningGateway Gateway, string Root)> StartWithConfigAsync(TempDirectory dir, string extraYaml, params string[] extraArgs)
    {
        var root = Directory.CreateDirectory(Path.Combine(dir.Path, "files-root")).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "note.txt"), "hello from the files tool");
        var config = Path.Combine(dir.Path, "carapace.yaml");
        var plugins = extraYaml.StartsWith("plugins:\n", StringComparison.Ordinal) ? extraYaml["plugins:\n".Length..] : string.Empty;
        await File.WriteAllTextAsync(config, $"plugins:\n  files:\n    roots: [\"{root}\"]\n{plugins}channels:\n  console:\n    tools: [files_read]\n");
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

        var strictOne = await gateway.CaraAsync(Token, "plugins", "status", "files", "--strict");
        Assert.True(strictOne.ExitCode == 0, strictOne.ToString());

        var tools = await gateway.CaraAsync(Token, "tools", "list");
        Assert.Contains("files_read", tools.Stdout, StringComparison.Ordinal);

        var read = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "{\"path\":\"note.txt\"}");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("hello from the files tool", read.Stdout, StringComparison.Ordinal);

        var escape = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "{\"path\":\"../../etc/passwd\"}");
        Assert.Equal(1, escape.ExitCode);
        Assert.Contains("invalid_request", escape.Stderr, StringComparison.Ordinal);

        var badArgs = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "[]");
        Assert.Equal(1, badArgs.ExitCode);

        // The schema errors are printed, each with its JSON pointer, not just "invalid arguments".
        var wrongType = await gateway.CaraAsync(Token, "tools", "invoke", "files_read", "--args", "{\"path\":1}");
        Assert.Equal(1, wrongType.ExitCode);
        Assert.Contains("invalid_arguments", wrongType.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  /path: \S", wrongType.Stderr);

        var disable = await gateway.CaraAsync(Token, "plugins", "disable", "files");
        Assert.True(disable.ExitCode == 0, disable.ToString());
        var status = await gateway.CaraAsync(Token, "plugins", "status", "files");
        Assert.Matches(@"files\s+disabled\s+\S+\s+disabled by the operator", status.Stdout);
        Assert.Matches(@"unload:\s+verified, [0-9.]+ ms, \d+ GC", status.Stdout);
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "enable", "files")).ExitCode);
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "reload", "files")).ExitCode);

        var unknown = await gateway.CaraAsync(Token, "plugins", "disable", "nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("plugin_not_found", unknown.Stderr, StringComparison.Ordinal);

        var channels = await gateway.CaraAsync(Token, "channels", "list");
        Assert.Contains("webhook", channels.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_status_fails_naming_every_plugin_that_is_not_active_and_why_and_on_any_activation_error()
    {
        using var dir = new TempDirectory();
        // A webhook secret shorter than its configSchema allows fails that plugin; console is off by default.
        var (gateway, _) = await StartWithConfigAsync(dir, "plugins:\n  webhook:\n    endpoints:\n      ci:\n        secret: short\n");
        await using var _gateway = gateway;

        var strict = await gateway.CaraAsync(Token, "plugins", "status", "--strict");

        Assert.True(strict.ExitCode == 1, strict.ToString());
        Assert.Contains("cara: --strict: plugin console is disabled (not enabled by default; set plugins.console.enabled: true)", strict.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"cara: --strict: plugin webhook is failed \(configuration plugins:webhook does not satisfy the manifest's configSchema: /endpoints/ci/secret", strict.Stderr);
        Assert.DoesNotContain("plugin files is", strict.Stderr, StringComparison.Ordinal);
        // The table is still printed on stdout.
        Assert.Matches(@"files\s+active", strict.Stdout);

        Assert.Contains("cara: --strict: activationErrorCount is 1 (webhook)", strict.Stderr, StringComparison.Ordinal);

        // As upstream: with an ID the failed webhook still fails the check (activationErrorCount > 0), though files is active.
        var onlyFiles = await gateway.CaraAsync(Token, "plugins", "status", "files", "--strict");
        Assert.True(onlyFiles.ExitCode == 1, onlyFiles.ToString());
        Assert.Contains("cara: --strict: activationErrorCount is 1 (webhook)", onlyFiles.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("plugin files is", onlyFiles.Stderr, StringComparison.Ordinal);
        // A disabled plugin is not an activation error: once webhook is disabled too, only the listed plugin's state counts.
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "disable", "webhook")).ExitCode);
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "status", "files", "--strict")).ExitCode);
        Assert.Equal(0, (await gateway.CaraAsync(Token, "plugins", "disable", "files")).ExitCode);
        var operatorDisabled = await gateway.CaraAsync(Token, "plugins", "status", "files", "--strict");
        Assert.Equal(1, operatorDisabled.ExitCode);
        Assert.Contains("cara: --strict: plugin files is disabled (disabled by the operator)", operatorDisabled.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("activationErrorCount", operatorDisabled.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_status_passes_when_every_plugin_is_active_and_json_output_parses()
    {
        using var dir = new TempDirectory();
        var (gateway, _) = await StartWithConfigAsync(dir, "plugins:\n  console:\n    enabled: true\n");
        await using var _gateway = gateway;

        var strict = await gateway.CaraAsync(Token, "plugins", "status", "--strict");
        Assert.True(strict.ExitCode == 0, strict.ToString());
        Assert.DoesNotContain("--strict", strict.Stderr, StringComparison.Ordinal);

        var json = await gateway.CaraAsync(Token, "plugins", "status", "--json", "--strict");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.True(doc.RootElement.GetProperty("pluginsEnabled").GetBoolean());
        var plugins = doc.RootElement.GetProperty("plugins").EnumerateArray().ToList();
        Assert.Contains(plugins, p => p.GetProperty("id").GetString() == "files");
        Assert.All(plugins, p => Assert.Equal("active", p.GetProperty("state").GetString()));
        Assert.All(plugins, p => Assert.True(p.GetProperty("loadMs").GetDouble() > 0));
    }

    [Fact]
    public async Task Channels_send_delivers_through_a_plugin_channel_of_the_real_gateway()
    {
        using var dir = new TempDirectory();
        var fixture = Path.Combine(AppContext.BaseDirectory, "fixtures", "good-channel");
        Assert.True(File.Exists(Path.Combine(fixture, "plugin.yaml")), "the good-channel fixture must be published next to the tests");
        var (gateway, _) = await StartWithConfigAsync(dir, $"plugins:\n  load:\n    paths: [\"{fixture}\"]\n");
        await using var _gateway = gateway;

        var send = await gateway.CaraAsync(Token, "channels", "send", "good-channel", "--to", "c7", "--text", "sent by cara");

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Contains("Sent through good-channel", send.Stdout, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };
        using var sent = JsonDocument.Parse(await http.GetStringAsync("/plugins/good-channel/sent"));
        var message = Assert.Single(sent.RootElement.EnumerateArray());
        Assert.Equal("c7", message.GetProperty("conversation").GetString());
        Assert.Equal("sent by cara", message.GetProperty("text").GetString());

        var unknown = await gateway.CaraAsync(Token, "channels", "send", "nope", "--to", "c", "--text", "t");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("channel_not_found", unknown.Stderr, StringComparison.Ordinal);
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
