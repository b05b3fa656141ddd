using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Signing;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>
/// Managed plugins through the real `cara start` and the real `cara plugins install|update|uninstall|doctor`,
/// including crashes (kill -9) in the middle of an update.
/// </summary>
public sealed class ManagedPluginProcessTests : IDisposable
{
    private const string Token = "managed-plugin-token";
    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = SigningKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _dir.Dispose();
    }

    private string StateDir => Path.Combine(_dir.Path, "state");

    private string PluginsDir => Path.Combine(StateDir, "plugins");

    private Task<RunningGateway> StartAsync(string? pauseAt = null)
    {
        var config = Path.Combine(_dir.Path, "carapace.yaml");
        File.WriteAllText(config, $"plugins:\n  signature:\n    trustedPublishers: [\"{_key.PublicKey.Hex}\"]\n");
        var env = new Dictionary<string, string?>
        {
            ["CARAPACE_GATEWAY_TOKEN"] = Token,
            ["CARAPACE_CONFIG_PATH"] = config,
            ["CARAPACE_STATE_DIR"] = StateDir,
            ["HOME"] = _dir.Path,
        };
        if (pauseAt is not null)
        {
            env["CARAPACE_DEBUG_INSTALL_PAUSE"] = pauseAt;
        }

        return RunningGateway.StartAsync(env);
    }

    private string Zip(string version = "1.0.0", string id = "good-tool") => FixturePackage.Zip(_dir.Path, _key, id, version);

    private static async Task<CaraResult> OkAsync(RunningGateway gateway, params string[] args)
    {
        var result = await gateway.CaraAsync(Token, args);
        Assert.True(result.ExitCode == 0, $"cara {string.Join(' ', args)}: {result}");
        return result;
    }

    [Fact]
    public async Task Install_status_doctor_update_and_uninstall_work_through_the_real_cara()
    {
        await using var gateway = await StartAsync();

        var install = await OkAsync(gateway, "plugins", "install", Zip());
        var invoke = await OkAsync(gateway, "tools", "invoke", "echo", "--args", "{\"text\":\"from a package\"}");
        var status = await OkAsync(gateway, "plugins", "status", "good-tool");
        var doctor = await OkAsync(gateway, "plugins", "doctor");
        var refused = await gateway.CaraAsync(Token, "plugins", "install", Zip(id: "spawning-tool"));
        await OkAsync(gateway, "plugins", "install", Zip(id: "spawning-tool"), "--allow-unvetted");
        var unvetted = await OkAsync(gateway, "plugins", "status");
        var update = await OkAsync(gateway, "plugins", "update", Zip("1.1.0"));
        var dry = await OkAsync(gateway, "plugins", "uninstall", "good-tool", "--dry-run");
        await OkAsync(gateway, "tools", "invoke", "echo", "--args", "{\"text\":\"still here\"}");
        var uninstall = await OkAsync(gateway, "plugins", "uninstall", "good-tool");
        var gone = await gateway.CaraAsync(Token, "tools", "invoke", "echo", "--args", "{\"text\":\"x\"}");

        Assert.Contains("installed 'good-tool' 1.0.0", install.Stdout, StringComparison.Ordinal);
        Assert.Contains("signature: verified", install.Stdout, StringComparison.Ordinal);
        Assert.Contains("from a package", invoke.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"good-tool\s+active\s+1\.0\.0", status.Stdout);
        Assert.Contains("source:   managed", status.Stdout, StringComparison.Ordinal);
        Assert.Contains($"signature: verified by {_key.PublicKey.Hex}", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("Healthy.", doctor.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("vetting_refused", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("SpawnTool.InvokeAsync", refused.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"spawning-tool\s+active\s+1\.0\.0\s+\[allow-unvetted\]", unvetted.Stdout);
        Assert.Contains("updated 'good-tool' 1.0.0 -> 1.1.0", update.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains("uninstalled 'good-tool' 1.1.0", uninstall.Stdout, StringComparison.Ordinal);
        Assert.Contains("unloaded in", uninstall.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("tool_not_found", gone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_exits_1_for_a_tampered_install_and_link_registers_a_directory_in_place()
    {
        await using var gateway = await StartAsync();
        var directory = FixturePackage.Directory(_dir.Path);
        PackageSigner.SignDirectory(directory, _key);

        var link = await OkAsync(gateway, "plugins", "install", directory, "--link");
        await OkAsync(gateway, "plugins", "install", Zip(id: "spawning-tool"), "--allow-unvetted");
        await File.AppendAllTextAsync(Path.Combine(PluginsDir, "spawning-tool", "1.0.0", "SpawningToolPlugin.deps.json"), " ");
        var doctor = await gateway.CaraAsync(Token, "plugins", "doctor");
        var json = await gateway.CaraAsync(Token, "plugins", "doctor", "--json");
        var unlink = await OkAsync(gateway, "plugins", "uninstall", "good-tool");

        Assert.Contains("linked 'good-tool' 1.0.0", link.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(PluginsDir, "good-tool")));
        Assert.Equal(1, doctor.ExitCode);
        Assert.Contains("integrity_digest_mismatch", doctor.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"ok\s+good-tool\s+linked", doctor.Stdout);
        Assert.Equal(1, json.ExitCode);
        Assert.False(JsonDocument.Parse(json.Stdout).RootElement.GetProperty("healthy").GetBoolean());
        Assert.Contains("uninstalled 'good-tool'", unlink.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, "GoodToolPlugin.dll")));
    }

    [Theory]
    [InlineData("after-move", "1.0.0")]
    [InlineData("after-commit", "1.1.0")]
    public async Task A_gateway_killed_in_the_middle_of_an_update_restarts_with_one_complete_version(string pauseAt, string expected)
    {
        await using (var first = await StartAsync())
        {
            await OkAsync(first, "plugins", "install", Zip());
            Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(30)));
        }

        var update = Zip("1.1.0");
        await using (var paused = await StartAsync(pauseAt))
        {
            var client = paused.CaraAsync(Token, "plugins", "update", update);
            await Poll.UntilAsync(() => paused.Stdout.Contains($"install paused at {pauseAt}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), $"the install to reach {pauseAt}");
            await paused.KillAsync();
            Assert.NotEqual(0, (await client).ExitCode);
        }

        await using var restarted = await StartAsync();
        var entry = Assert.Single(PluginLockFile.Read(PluginLockFile.PathIn(PluginsDir)).Plugins);
        var versions = Directory.EnumerateDirectories(Path.Combine(PluginsDir, "good-tool")).Select(Path.GetFileName).ToList();
        var status = await OkAsync(restarted, "plugins", "status", "good-tool", "--json");
        var plugin = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("plugins")[0];

        Assert.Equal(expected, entry.Version);
        Assert.Equal([expected], versions);
        Assert.True(PluginIntegrity.Check(Path.Combine(PluginsDir, "good-tool", expected), entry).IsIntact);
        Assert.False(Directory.Exists(Path.Combine(PluginsDir, ".staging")) && Directory.EnumerateFileSystemEntries(Path.Combine(PluginsDir, ".staging")).Any());
        Assert.Equal(("active", expected), (plugin.GetProperty("state").GetString(), plugin.GetProperty("version").GetString()));
        await OkAsync(restarted, "tools", "invoke", "echo", "--args", "{\"text\":\"after the crash\"}");
        await OkAsync(restarted, "plugins", "doctor");
    }

    [Fact]
    public async Task Doctor_exits_3_when_it_cannot_run_and_0_or_1_only_when_it_ran()
    {
        int unusedPort;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            unusedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var env = CaraProcess.IsolatedEnvironment(_dir);
        env["CARAPACE_GATEWAY_TOKEN"] = Token;
        var down = await CaraProcess.RunAsync(env, "plugins", "doctor", "--port", unusedPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var gateway = await StartAsync();
        var unauthorized = await gateway.CaraAsync("wrong-token", "plugins", "doctor");
        var healthy = await gateway.CaraAsync(Token, "plugins", "doctor");
        var help = await gateway.CaraAsync(Token, "plugins", "doctor", "--help");

        Assert.True(down.ExitCode == 3, down.ToString());
        Assert.Contains("did not run", down.Stderr, StringComparison.Ordinal);
        Assert.True(unauthorized.ExitCode == 3, unauthorized.ToString());
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("3 the check could not run", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 the check ran and found a problem", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_of_a_fifo_fails_promptly_in_the_cli_before_anything_is_sent()
    {
        await using var gateway = await StartAsync();
        var fifo = Path.Combine(_dir.Path, "pipe.zip");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])!)
        {
            await mkfifo.WaitForExitAsync();
        }

        var result = await gateway.CaraAsync(Token, "plugins", "install", fifo);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("package_special_file", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Kills the gateway at <paramref name="pauseAt"/> during `cara plugins ARGS`, then restarts it.</summary>
    private async Task<RunningGateway> KillDuringAsync(string pauseAt, params string[] args)
    {
        await using (var paused = await StartAsync(pauseAt))
        {
            var client = paused.CaraAsync(Token, args);
            await Poll.UntilAsync(() => paused.Stdout.Contains($"install paused at {pauseAt}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60), $"the install to reach {pauseAt}");
            await paused.KillAsync();
            Assert.NotEqual(0, (await client).ExitCode);
        }

        return await StartAsync();
    }

    private void AssertNoStagingLeftovers()
    {
        var staging = Path.Combine(PluginsDir, ".staging");
        Assert.False(Directory.Exists(staging) && Directory.EnumerateFileSystemEntries(staging).Any(), "staging leftovers after the restart");
    }

    [Theory]
    [InlineData("staged", false)]
    [InlineData("after-move", false)]
    [InlineData("after-commit", true)]
    public async Task A_gateway_killed_during_a_fresh_install_restarts_with_the_plugin_fully_installed_or_absent(string pauseAt, bool installed)
    {
        await using var restarted = await KillDuringAsync(pauseAt, "plugins", "install", Zip());

        var entries = PluginLockFile.Read(PluginLockFile.PathIn(PluginsDir)).Plugins;
        var status = await restarted.CaraAsync(Token, "plugins", "status", "good-tool", "--json");
        AssertNoStagingLeftovers();
        if (installed)
        {
            var entry = Assert.Single(entries);
            Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(PluginsDir, "good-tool")).Select(Path.GetFileName));
            Assert.True(PluginIntegrity.Check(Path.Combine(PluginsDir, "good-tool", "1.0.0"), entry).IsIntact);
            Assert.Equal("active", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("plugins")[0].GetProperty("state").GetString());
            await OkAsync(restarted, "tools", "invoke", "echo", "--args", "{\"text\":\"after the crash\"}");
        }
        else
        {
            Assert.Empty(entries);
            Assert.False(Directory.Exists(Path.Combine(PluginsDir, "good-tool")), "files of an install that never committed are left");
            Assert.NotEqual(0, status.ExitCode);
        }

        await OkAsync(restarted, "plugins", "doctor");
    }

    [Theory]
    [InlineData("staged", false)]
    [InlineData("replaced-aside", false)]
    [InlineData("after-move", false)]
    [InlineData("after-commit", true)]
    public async Task A_gateway_killed_during_a_same_version_replacement_restarts_with_exactly_the_old_or_the_new_content(string pauseAt, bool replaced)
    {
        await using (var first = await StartAsync())
        {
            await OkAsync(first, "plugins", "install", Zip());
            Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(30)));
        }

        var old = Assert.Single(PluginLockFile.Read(PluginLockFile.PathIn(PluginsDir)).Plugins);
        var rereleased = FixturePackage.Zip(_dir.Path, _key, edit: d => File.AppendAllText(Path.Combine(d, "plugin.yaml"), "description: re-released\n"));
        await using var restarted = await KillDuringAsync(pauseAt, "plugins", "install", rereleased, "--yes");

        var entry = Assert.Single(PluginLockFile.Read(PluginLockFile.PathIn(PluginsDir)).Plugins);
        Assert.Equal(replaced, entry.Sha256 != old.Sha256);
        Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(PluginsDir, "good-tool")).Select(Path.GetFileName));
        Assert.True(PluginIntegrity.Check(Path.Combine(PluginsDir, "good-tool", "1.0.0"), entry).IsIntact, "the installed copy is a mixture");
        AssertNoStagingLeftovers();
        var status = await OkAsync(restarted, "plugins", "status", "good-tool", "--json");
        Assert.Equal("active", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("plugins")[0].GetProperty("state").GetString());
        await OkAsync(restarted, "tools", "invoke", "echo", "--args", "{\"text\":\"after the crash\"}");
        await OkAsync(restarted, "plugins", "doctor");
    }
}
