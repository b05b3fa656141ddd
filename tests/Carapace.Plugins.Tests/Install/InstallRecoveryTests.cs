using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Vetting;

namespace Carapace.Plugins.Tests.Install;

/// <summary>
/// The start-up recovery pass over the states a crash can leave (the real kill -9 of `cara start` is in
/// Carapace.Cli.Tests/Commands/ManagedPluginProcessTests.cs): the lock decides, never a mixture.
/// </summary>
public sealed class InstallRecoveryTests
{
    [Fact]
    public async Task A_copy_moved_in_place_but_never_committed_is_removed_and_the_old_version_stays_active()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        PackageReader.Stage(managed.Package(version: "1.1.0"), Path.Combine(managed.Root, "good-tool", "1.1.0"));
        PackageReader.Stage(managed.Package(version: "1.2.0"), Path.Combine(managed.Root, ".staging", "interrupted"));

        await managed.RestartAsync();

        Assert.Equal(("active", "1.0.0"), (managed.Runtime.Get("good-tool")!.State, managed.Runtime.Get("good-tool")!.Version));
        Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
        Assert.False(Directory.Exists(Path.Combine(managed.Root, ".staging")));
    }

    [Fact]
    public async Task A_committed_update_whose_old_copy_was_not_removed_loads_the_new_version_and_drops_the_old()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        var staged = PackageReader.Stage(managed.Package(version: "1.1.0"), Path.Combine(managed.Root, "good-tool", "1.1.0"));
        var signature = SignatureVerifier.Verify(staged.Directory, new SignaturePolicy(true, new HashSet<PublisherKey> { managed.Key.PublicKey }), false);
        var entry = PluginLockEntry.ForInstall("good-tool", "1.1.0", staged, signature, PluginVetter.Vet(staged.Directory), "test",
            DateTimeOffset.UtcNow, SignatureVerifier.ReadSignatureFile(staged.Directory));
        PluginLockFile.Write(PluginLockFile.PathIn(managed.Root), managed.Lock.With(entry));

        await managed.RestartAsync();

        Assert.Equal(("active", "1.1.0"), (managed.Runtime.Get("good-tool")!.State, managed.Runtime.Get("good-tool")!.Version));
        Assert.Equal(["1.1.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_interrupted_same_version_replacement_puts_the_pinned_copy_back()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        var installed = Path.Combine(managed.Root, "good-tool", "1.0.0");
        Directory.Move(installed, installed + ManagedPluginLayout.ReplacedSuffix);
        PackageReader.Stage(managed.Package(edit: d => File.WriteAllText(Path.Combine(d, "extra.txt"), "other content")), installed);

        await managed.RestartAsync();

        Assert.Equal("active", managed.Runtime.Get("good-tool")!.State);
        Assert.True(PluginIntegrity.Check(installed, managed.Lock.Find("good-tool")!).IsIntact);
        Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_lock_entry_whose_directory_is_missing_fails_with_the_reason_and_a_plugin_the_lock_does_not_list_is_removed()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        Directory.Delete(Path.Combine(managed.Root, "good-tool"), recursive: true);
        PackageReader.Stage(managed.Package("spawning-tool"), Path.Combine(managed.Root, "spawning-tool", "1.0.0"));

        await managed.RestartAsync();

        var plugin = managed.Runtime.Get("good-tool")!;
        Assert.Equal("failed", plugin.State);
        Assert.StartsWith(IntegrityCodes.Missing, plugin.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(managed.Root, "spawning-tool")));
        Assert.Null(managed.Runtime.Get("spawning-tool"));
    }

    [Fact]
    public async Task An_unreadable_lock_deletes_nothing_loads_nothing_managed_and_refuses_installs()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        await File.AppendAllTextAsync(PluginLockFile.PathIn(managed.Root), "surprise: true\n");

        await managed.RestartAsync();
        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(managed.Package("spawning-tool")));
        var report = managed.Harness.Service<PluginDoctor>().Examine();

        Assert.Null(managed.Runtime.Get("good-tool"));
        Assert.True(Directory.Exists(Path.Combine(managed.Root, "good-tool", "1.0.0")));
        Assert.Equal(PluginLockException.Code, refused.Code);
        Assert.False(report.Healthy);
        Assert.Contains(report.General, f => f.Code == PluginLockException.Code);
    }
}
