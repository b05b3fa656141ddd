using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;
using Carapace.Testing;
using TempDirectory = Carapace.Testing.PluginHarness.TempDirectory;

namespace Carapace.Plugins.Tests.Install;

/// <summary>
/// What happens around the commit point (the lock write): a failure after it leaves the new version
/// installed but not active (never deleted), and a failure while placing files puts the pinned copy back.
/// </summary>
public sealed class InstallCommitTests : IDisposable
{
    private static readonly System.Text.Json.JsonElement Hello = JsonText.Parse("""{"text":"hi"}""");
    private static readonly System.Text.Json.JsonElement Name = JsonText.Parse("""{"name":"op"}""");
    private readonly TempDirectory _paths = new();

    public void Dispose() => _paths.Dispose();

    /// <summary>Acts once when the installer reaches a named point, while <see cref="Armed"/>.</summary>
    private sealed class ActAt(string point, Func<Task> action) : IInstallPausePoints
    {
        public bool Reached { get; private set; }

        public bool Armed { get; set; } = true;

        public async Task ReachedAsync(string reached, CancellationToken cancellationToken)
        {
            if (reached == point && Armed && !Reached)
            {
                Reached = true;
                await action();
            }
        }
    }

    /// <summary>
    /// A configured plugin 'rival' (the hello fixture under another id), disabled by configuration. Enabled at
    /// the after-commit point it claims the tool name 'hello' between the installer's early conflict check
    /// and the runtime's atomic claim: the race the runtime reports after the lock is already committed.
    /// </summary>
    private async Task<(ManagedHarness Managed, ActAt Pause)> StartWithRivalAsync()
    {
        var rival = FixturePackage.Directory(_paths.Path, "hello", "9.0.0", edit: SetId("rival"));
        ManagedHarness? managed = null;
        var pause = new ActAt(InstallPausePointNames.AfterCommit, async () =>
        {
            var enabled = await managed!.Runtime.EnableAsync("rival");
            Assert.True(enabled.Succeeded, enabled.Message);
        });
        managed = await ManagedHarness.StartAsync(
            new Dictionary<string, string?> { ["plugins:rival:enabled"] = "false" }, pluginPaths: [rival], pauses: pause);
        return (managed, pause);
    }

    private static Action<string> SetId(string id) => source =>
    {
        var manifest = Path.Combine(source, "plugin.yaml");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("id: hello", $"id: {id}", StringComparison.Ordinal));
    };

    [Fact]
    public async Task A_fresh_install_that_fails_after_the_commit_is_installed_not_active_and_a_reload_activates_it()
    {
        var (managed, pause) = await StartWithRivalAsync();
        await using var _ = managed;
        var package = managed.Package("hello", edit: SetId("greeter"));

        var ex = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(package));

        Assert.True(pause.Reached);
        Assert.Equal((InstallFailure.NotActive, InstallCodes.InstalledNotActive), (ex.Failure, ex.Code));
        Assert.Contains("installed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cara plugins reload greeter", ex.Message, StringComparison.Ordinal);
        var entry = managed.Lock.Find("greeter");
        Assert.NotNull(entry);
        var directory = Path.Combine(managed.Root, "greeter", "1.0.0");
        Assert.True(PluginIntegrity.Check(directory, entry).IsIntact, "the committed files were removed");
        Assert.Equal("failed", managed.Runtime.Get("greeter")!.State);
        var audited = Assert.Single(managed.Harness.Events.All, e => e is { PluginId: "greeter", Kind: PluginLifecycleEventKind.Installed });
        Assert.Equal(("false", InstallCodes.InstalledNotActive), (audited.Data["active"], audited.Data["code"]));
        Assert.DoesNotContain(managed.Harness.Events.All, e => e.Kind == PluginLifecycleEventKind.InstallRefused);

        Assert.True((await managed.Runtime.DisableAsync("rival")).Succeeded);
        var reload = await managed.Runtime.ReloadAsync("greeter");

        Assert.True(reload.Succeeded, reload.Message);
        Assert.Equal(("active", "1.0.0"), (managed.Runtime.Get("greeter")!.State, managed.Runtime.Get("greeter")!.Version));
        Assert.Equal(ToolResultCodes.Ok, (await managed.Runtime.InvokeToolAsync("hello", Name)).Code);
    }

    [Fact]
    public async Task An_update_that_fails_after_the_commit_keeps_the_old_version_serving_and_the_new_one_activates_on_restart()
    {
        var (managed, pause) = await StartWithRivalAsync();
        await using var _ = managed;
        pause.Armed = false;
        await managed.InstallAsync(managed.Package());
        pause.Armed = true;
        // 2.0.0 of good-tool is the hello fixture's code: it brings the tool 'hello', which the rival takes.
        var update = managed.Package("hello", version: "2.0.0", edit: SetId("good-tool"));

        var ex = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(update, update: true));

        Assert.True(pause.Reached);
        Assert.Equal(InstallCodes.InstalledNotActive, ex.Code);
        Assert.Contains("1.0.0 keeps serving", ex.Message, StringComparison.Ordinal);
        var plugin = managed.Runtime.Get("good-tool")!;
        Assert.Equal(("active", "1.0.0"), (plugin.State, plugin.Version));
        Assert.Equal(ToolResultCodes.Ok, (await managed.Runtime.InvokeToolAsync("echo", Hello)).Code);
        var entry = managed.Lock.Find("good-tool")!;
        Assert.Equal("2.0.0", entry.Version);
        Assert.True(PluginIntegrity.Check(Path.Combine(managed.Root, "good-tool", "2.0.0"), entry).IsIntact);
        Assert.True(Directory.Exists(Path.Combine(managed.Root, "good-tool", "1.0.0")), "the serving version's files were removed");
        var audited = Assert.Single(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Updated });
        Assert.Equal(("false", "1.0.0"), (audited.Data["active"], audited.Data["serving_version"]));

        await managed.RestartAsync();

        var restarted = managed.Runtime.Get("good-tool")!;
        Assert.Equal(("active", "2.0.0"), (restarted.State, restarted.Version));
        Assert.Equal(["2.0.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
        Assert.Equal(ToolResultCodes.Ok, (await managed.Runtime.InvokeToolAsync("hello", Name)).Code);
    }

    [Fact]
    public async Task When_placing_a_same_version_replacement_fails_the_pinned_copy_is_put_back_and_keeps_serving()
    {
        ManagedHarness? managed = null;
        // Between the two moves, the staged copy disappears: the second Directory.Move fails for real.
        var pause = new ActAt(InstallPausePointNames.ReplacedAside, () =>
        {
            foreach (var staged in Directory.EnumerateDirectories(Path.Combine(managed!.Root, ".staging")))
            {
                Directory.Delete(staged, recursive: true);
            }

            return Task.CompletedTask;
        });
        managed = await ManagedHarness.StartAsync(pauses: pause);
        await using var _ = managed;
        await managed.InstallAsync(managed.Package());
        var pinned = managed.Lock.Find("good-tool")!;
        var changed = managed.Package(edit: source => File.AppendAllText(Path.Combine(source, "plugin.yaml"), "description: re-released\n"));

        var ex = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(changed, yes: true));

        Assert.True(pause.Reached);
        Assert.Equal(InstallCodes.StateUnwritable, ex.Code);
        Assert.Equal(pinned.Sha256, managed.Lock.Find("good-tool")!.Sha256);
        Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
        Assert.True(PluginIntegrity.Check(Path.Combine(managed.Root, "good-tool", "1.0.0"), pinned).IsIntact);
        Assert.Equal(ToolResultCodes.Ok, (await managed.Runtime.InvokeToolAsync("echo", Hello)).Code);
        Assert.True((await managed.Runtime.ReloadAsync("good-tool")).Succeeded, "the restored copy does not load");
        Assert.Contains(managed.Harness.Events.All, e => e is { Kind: PluginLifecycleEventKind.InstallRefused } && e.Data["reason"] == InstallCodes.StateUnwritable);
    }

    [Fact]
    public async Task Every_refused_install_is_reported_with_its_reason_code()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        var changed = managed.Package(edit: source => File.AppendAllText(Path.Combine(source, "plugin.yaml"), "description: other\n"));
        var slip = Path.Combine(managed.Dir.Path, "slip.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(slip, System.IO.Compression.ZipArchiveMode.Create))
        {
            archive.CreateEntry("../../outside.dll");
        }

        await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(changed));
        await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(slip));

        var refused = managed.Harness.Events.All.Where(e => e.Kind == PluginLifecycleEventKind.InstallRefused).ToList();
        Assert.Equal([InstallCodes.Sha256Changed, Carapace.Plugins.Packaging.PackageErrorCodes.PathTraversal], refused.Select(e => e.Data["reason"]));
        Assert.Equal("good-tool", refused[0].PluginId);
        Assert.Equal(slip, refused[1].Data["source"]);
    }
}
