using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Services;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Tests.Packaging;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Tests.Install;

/// <summary>The installer against a real runtime, with packages built from the fixture plugins during the run.</summary>
public sealed class PluginInstallerTests
{
    private static readonly System.Text.Json.JsonElement Hello = JsonText.Parse("""{"text":"hi"}""");

    [Fact]
    public async Task Signed_package_is_staged_verified_moved_committed_and_active_without_a_restart()
    {
        await using var managed = await ManagedHarness.StartAsync();

        var outcome = await managed.InstallAsync(managed.Package());

        Assert.Equal(InstallActions.Installed, outcome.Action);
        Assert.Equal("active", outcome.Plugin!.State);
        Assert.Equal("managed", outcome.Plugin.Source);
        Assert.Equal(Path.Combine(managed.Root, "good-tool", "1.0.0"), outcome.Plugin.Directory);
        Assert.Equal("verified", outcome.Plugin.Managed!.Signature);
        var entry = Assert.Single(managed.Lock.Plugins);
        Assert.Equal(("good-tool", "1.0.0", managed.Key.PublicKey), (entry.Id, entry.Version, entry.PublisherKey!.Value));
        Assert.Equal(entry.Sha256, PluginIntegrity.Check(outcome.Plugin.Directory, entry).ActualDigest);
        Assert.Equal(ToolResultCodes.Ok, (await managed.Runtime.InvokeToolAsync("echo", Hello)).Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(managed.Root, ".staging")));
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.SignatureVerified });
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Installed }
                                                          && e.Data["sha256"] == entry.Sha256.Hex && e.Data["signature"] == "verified");
    }

    [Fact]
    public async Task Installed_plugin_loads_again_after_a_restart_and_installing_it_again_changes_nothing()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var package = managed.Package();
        await managed.InstallAsync(package);

        await managed.RestartAsync();
        var again = await managed.InstallAsync(package);

        Assert.Equal("active", managed.Runtime.Get("good-tool")!.State);
        Assert.Equal(InstallActions.Unchanged, again.Action);
        Assert.Equal(1, managed.Runtime.Get("good-tool")!.Generation);
    }

    [Fact]
    public async Task A_package_claiming_a_host_owned_id_is_refused_at_install()
    {
        await using var managed = await ManagedHarness.StartAsync();
        // plugins:signature is the signature policy: a plugin with that id would read (and be configured by) it.
        var package = managed.Package(edit: source =>
        {
            var manifest = Path.Combine(source, "plugin.yaml");
            File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("id: good-tool", "id: signature", StringComparison.Ordinal));
        });

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(package));

        Assert.Contains("id 'signature' is reserved by the host", refused.Message, StringComparison.Ordinal);
        Assert.Null(managed.Runtime.Get("signature"));
        AssertNothingInstalled(managed);
    }

    [Fact]
    public async Task A_file_changed_after_signing_is_refused_at_install()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var directory = managed.Package(zip: false);
        File.AppendAllText(Path.Combine(directory, "GoodToolPlugin.deps.json"), " ");

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(directory));

        Assert.Equal(SigningErrorCodes.DigestMismatch, refused.Code);
        AssertNothingInstalled(managed);
        Assert.Contains(managed.Harness.Events.All, e => e is { Kind: PluginLifecycleEventKind.SignatureFailed } && e.Data["reason"] == SigningErrorCodes.DigestMismatch);
    }

    [Fact]
    public async Task A_file_tampered_after_install_fails_the_next_load_with_the_digest_code()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var installed = (await managed.InstallAsync(managed.Package())).Plugin!.Directory;
        var dll = Path.Combine(installed, "GoodToolPlugin.dll");
        var bytes = File.ReadAllBytes(dll);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(dll, bytes);

        var reload = await managed.Runtime.ReloadAsync("good-tool");
        await managed.RestartAsync();
        var plugin = managed.Runtime.Get("good-tool")!;

        Assert.Equal("plugin_failed", reload.Code);
        Assert.Contains(IntegrityCodes.DigestMismatch, reload.Message, StringComparison.Ordinal);
        Assert.Equal("failed", plugin.State);
        Assert.StartsWith(IntegrityCodes.DigestMismatch, plugin.Reason, StringComparison.Ordinal);
        Assert.Equal(ToolResultCodes.ToolNotFound, (await managed.Runtime.InvokeToolAsync("echo", Hello)).Code);
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Failed }
                                                          && e.Message!.StartsWith(IntegrityCodes.DigestMismatch, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signature_that_does_not_verify_is_refused()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var directory = managed.Package(sign: false, zip: false, edit: source =>
        {
            var (digest, _) = PackageDirectoryWalker.ComputeDigest(source);
            var signature = managed.Key.Sign(digest);
            var forged = signature.Signature.ToArray();
            forged[0] ^= 0x01;
            File.WriteAllBytes(Path.Combine(source, "plugin.sig"), (signature with { Signature = forged }).ToBytes());
        });

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(ManagedHarness.Pack(directory)));

        Assert.Equal(SigningErrorCodes.SignatureInvalid, refused.Code);
        AssertNothingInstalled(managed);
    }

    [Fact]
    public async Task A_package_signed_by_an_untrusted_publisher_is_refused_even_with_allow_unsigned()
    {
        await using var managed = await ManagedHarness.StartAsync();
        using var stranger = SigningKey.Generate();

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(managed.Package(key: stranger), allowUnsigned: true));

        Assert.Equal(SigningErrorCodes.UntrustedPublisher, refused.Code);
        Assert.Contains(stranger.PublicKey.Hex, refused.Message, StringComparison.Ordinal);
        AssertNothingInstalled(managed);
        Assert.Contains(managed.Harness.Events.All, e => e is { Kind: PluginLifecycleEventKind.SignatureFailed }
                                                          && e.Data["reason"] == SigningErrorCodes.UntrustedPublisher);
    }

    [Fact]
    public async Task Unsigned_package_is_accepted_only_where_the_policy_permits_the_override_and_the_override_is_recorded()
    {
        await using var strict = await ManagedHarness.StartAsync();
        var required = await Assert.ThrowsAsync<InstallException>(() => strict.InstallAsync(strict.Package(sign: false), allowUnsigned: true));
        await using var relaxed = await ManagedHarness.StartAsync(new Dictionary<string, string?> { ["plugins:signature:requireSignature"] = "false" });

        var outcome = await relaxed.InstallAsync(relaxed.Package(sign: false), allowUnsigned: true);

        Assert.Equal(SigningErrorCodes.SignatureRequired, required.Code);
        Assert.True(relaxed.Lock.Find("good-tool")!.AllowUnsigned);
        Assert.Equal("unsigned", outcome.Plugin!.Managed!.Signature);
        Assert.Equal("active", outcome.Plugin.State);
    }

    [Fact]
    public async Task Zip_slip_symlink_and_oversize_archives_are_refused_before_anything_is_placed()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var slip = TestPackages.WriteZipWithManifest(managed.Dir.Combine("slip.zip"), ZipItem.Text("../../evil.dll", "x"));
        var link = TestPackages.WriteZipWithManifest(managed.Dir.Combine("link.zip"), new ZipItem("lib.dll", "/etc/passwd"u8.ToArray(), UnixMode: 0xA1FF));
        var oversize = managed.Dir.Combine("big.zip");
        using (var file = File.Create(oversize))
        {
            file.SetLength(PackageLimits.Default.MaxArchiveBytes + 1);
        }

        var codes = new List<string>();
        foreach (var package in new[] { slip, link, oversize })
        {
            codes.Add((await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(package))).Code);
        }

        Assert.Equal([PackageErrorCodes.PathTraversal, PackageErrorCodes.Symlink, PackageErrorCodes.TooLarge], codes);
        AssertNothingInstalled(managed);
        Assert.False(File.Exists(Path.Combine(managed.Dir.Path, "evil.dll")));
    }

    [Fact]
    public async Task Process_start_is_refused_by_vetting_with_a_finding_naming_the_method_unless_allowed_and_then_recorded()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var package = managed.Package("spawning-tool");

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(package));
        AssertNothingInstalled(managed);
        var allowed = await managed.InstallAsync(package, allowUnvetted: true);

        Assert.Equal(InstallCodes.VettingRefused, refused.Code);
        var finding = Assert.Single(refused.Findings, f => f.Api?.StartsWith("System.Diagnostics.Process.Start", StringComparison.Ordinal) == true);
        Assert.Equal(Carapace.Plugins.Vetting.VettingCodes.Process, finding.Code);
        Assert.Equal("SpawningToolPlugin.dll", finding.File);
        Assert.Contains("SpawnTool.InvokeAsync", finding.Method, StringComparison.Ordinal);
        Assert.Contains("SpawnTool.InvokeAsync", refused.Message, StringComparison.Ordinal);
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "spawning-tool", Kind: PluginLifecycleEventKind.VettingRefused });
        var entry = managed.Lock.Find("spawning-tool")!;
        Assert.True(entry.AllowUnvetted);
        Assert.Equal(refused.Findings.Count, entry.FindingCount);
        Assert.True(allowed.Plugin!.Managed!.AllowUnvetted);
        Assert.Equal(entry.FindingCount, allowed.Plugin.Managed.FindingCount);
    }

    [Fact]
    public async Task Update_hot_swaps_to_the_new_version_while_a_call_in_flight_finishes_on_the_old_one()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        var old = (await managed.Runtime.InvokeToolAsync("echo", Hello)).Output!.Value.GetProperty("instance").GetString();
        var inFlight = managed.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"slow","delayMs":1500}"""));
        Assert.True(await Eventually.TrueAsync(() => managed.Runtime.Get("good-tool")!.InFlight == 1));

        var update = await managed.InstallAsync(managed.Package(version: "1.1.0"), update: true);
        var slow = await inFlight;
        var fresh = await managed.Runtime.InvokeToolAsync("echo", Hello);

        Assert.Equal(InstallActions.Updated, update.Action);
        Assert.Equal("1.0.0", update.PreviousVersion);
        Assert.Equal(ToolResultCodes.Ok, slow.Code);
        Assert.Equal(old, slow.Output!.Value.GetProperty("instance").GetString());
        Assert.NotEqual(old, fresh.Output!.Value.GetProperty("instance").GetString());
        var plugin = managed.Runtime.Get("good-tool")!;
        Assert.Equal(("active", "1.1.0", 2), (plugin.State, plugin.Version, plugin.Generation));
        Assert.Equal("1.1.0", managed.Lock.Find("good-tool")!.Version);
        Assert.False(Directory.Exists(Path.Combine(managed.Root, "good-tool", "1.0.0")));
        Assert.Contains(managed.Harness.Events.All, e => e is { Kind: PluginLifecycleEventKind.Updated } && e.Data["previous_version"] == "1.0.0");
        // The old generation was unloaded and its collection verified, not left behind.
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Unloaded });
        Assert.DoesNotContain(managed.Harness.Events.All, e => e.Kind == PluginLifecycleEventKind.Leaked);
    }

    [Fact]
    public async Task Failed_update_keeps_the_old_version_installed_and_serving()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        // The new version's configSchema requires a key the configuration does not have: activation fails.
        var broken = managed.Package(version: "2.0.0", edit: source => File.AppendAllText(Path.Combine(source, "plugin.yaml"), "  required: [mandatory]\n"));
        using var stranger = SigningKey.Generate();

        var activation = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(broken, update: true));
        var signature = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(managed.Package(version: "2.0.0", key: stranger), update: true));

        Assert.Equal(InstallCodes.ActivationFailed, activation.Code);
        Assert.Contains("1.0.0 stays installed", activation.Message, StringComparison.Ordinal);
        Assert.Equal(SigningErrorCodes.UntrustedPublisher, signature.Code);
        var plugin = managed.Runtime.Get("good-tool")!;
        Assert.Equal(("active", "1.0.0", 1), (plugin.State, plugin.Version, plugin.Generation));
        Assert.Equal(ToolResultCodes.Ok, (await managed.Runtime.InvokeToolAsync("echo", Hello)).Code);
        Assert.Equal("1.0.0", managed.Lock.Find("good-tool")!.Version);
        Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Same_version_with_other_content_is_refused_unless_yes_and_install_does_not_change_versions()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        var changed = managed.Package(edit: source => File.AppendAllText(Path.Combine(source, "plugin.yaml"), "description: re-released\n"));

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(changed));
        var newer = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(managed.Package(version: "1.2.0")));
        var notInstalled = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(managed.Package("spawning-tool"), update: true));
        var replaced = await managed.InstallAsync(changed, yes: true);

        Assert.Equal(InstallCodes.Sha256Changed, refused.Code);
        Assert.Contains("--yes", refused.Message, StringComparison.Ordinal);
        Assert.Equal(InstallCodes.AlreadyInstalled, newer.Code);
        Assert.Equal(InstallCodes.NotInstalled, notInstalled.Code);
        Assert.Equal(replaced.Entry.Sha256, managed.Lock.Find("good-tool")!.Sha256);
        Assert.Equal("active", managed.Runtime.Get("good-tool")!.State);
        Assert.Equal(["1.0.0"], Directory.EnumerateDirectories(Path.Combine(managed.Root, "good-tool")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Uninstall_unloads_with_verification_and_removes_files_and_lock_entry_dry_run_and_keep_files_as_asked()
    {
        await using var managed = await ManagedHarness.StartAsync();
        await managed.InstallAsync(managed.Package());
        await managed.InstallAsync(managed.Package("spawning-tool"), allowUnvetted: true);

        var dry = await managed.Installer.UninstallAsync("good-tool", keepFiles: false, dryRun: true, null, CancellationToken.None);
        Assert.Equal("active", managed.Runtime.Get("good-tool")!.State);
        Assert.NotNull(managed.Lock.Find("good-tool"));
        var removed = await managed.Installer.UninstallAsync("good-tool", keepFiles: false, dryRun: false, "test", CancellationToken.None);
        var kept = await managed.Installer.UninstallAsync("spawning-tool", keepFiles: true, dryRun: false, null, CancellationToken.None);
        var again = await Assert.ThrowsAsync<InstallException>(() => managed.Installer.UninstallAsync("good-tool", false, false, null, CancellationToken.None));

        Assert.True(dry.DryRun);
        Assert.Contains("nothing was changed", dry.Message, StringComparison.Ordinal);
        Assert.Equal("unloaded", removed.Plugin!.State);
        Assert.NotNull(removed.Plugin.UnloadMs);
        Assert.False(removed.Leaked);
        Assert.Null(managed.Runtime.Get("good-tool"));
        Assert.Equal(ToolResultCodes.ToolNotFound, (await managed.Runtime.InvokeToolAsync("echo", Hello)).Code);
        Assert.Empty(managed.Lock.Plugins);
        Assert.False(Directory.Exists(Path.Combine(managed.Root, "good-tool")));
        Assert.False(Directory.Exists(Path.Combine(managed.Root, "spawning-tool")));
        Assert.True(File.Exists(Path.Combine(kept.KeptDirectory!, "SpawningToolPlugin.dll")));
        Assert.Equal(InstallCodes.NotInstalled, again.Code);
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Unloaded });
        Assert.Contains(managed.Harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Uninstalled } && e.Data["actor"] == "test");
    }

    [Fact]
    public async Task Link_registers_a_development_directory_in_place_and_checks_it_at_every_load()
    {
        await using var managed = await ManagedHarness.StartAsync();
        var directory = managed.Package(zip: false);

        var outcome = await managed.InstallAsync(directory, link: true);
        File.WriteAllText(Path.Combine(directory, "notes.txt"), "rebuilt");
        var resigned = PackageSigner.SignDirectory(directory, managed.Key);
        var reload = await managed.Runtime.ReloadAsync("good-tool");
        ManagedHarness.CopyTree(ManagedHarness.Fixture("spawning-tool"), Path.Combine(directory, "extra"));
        PackageSigner.SignDirectory(directory, managed.Key);
        var unvetted = await managed.Runtime.ReloadAsync("good-tool");
        var removed = await managed.Installer.UninstallAsync("good-tool", false, false, null, CancellationToken.None);

        Assert.Equal(InstallActions.Linked, outcome.Action);
        Assert.Equal(("linked", directory), (outcome.Plugin!.Source, outcome.Plugin.Directory));
        Assert.Equal(PluginLockEntry.LinkSourcePrefix + directory, outcome.Entry.Source);
        Assert.False(Directory.Exists(Path.Combine(managed.Root, "good-tool")));
        Assert.True(reload.Succeeded, reload.Message);
        Assert.NotEqual(outcome.Entry.Sha256, resigned.Digest);
        Assert.Equal("plugin_failed", unvetted.Code);
        Assert.Contains(PluginLoadCheck.VettingRefused, unvetted.Message, StringComparison.Ordinal);
        Assert.Null(removed.RemovedDirectory);
        Assert.True(File.Exists(Path.Combine(directory, "GoodToolPlugin.dll")));
    }

    [Fact]
    public async Task A_managed_id_taken_by_a_configured_plugin_is_refused()
    {
        await using var managed = await ManagedHarness.StartAsync(new Dictionary<string, string?>
        {
            ["plugins:load:paths:0"] = RuntimeHarness.PluginDirectory("good-tool"),
        });

        var refused = await Assert.ThrowsAsync<InstallException>(() => managed.InstallAsync(managed.Package()));

        Assert.Equal(InstallCodes.IdConflict, refused.Code);
        Assert.Equal("path", managed.Runtime.Get("good-tool")!.Source);
        Assert.Empty(managed.Lock.Plugins);
    }

    private static void AssertNothingInstalled(ManagedHarness managed)
    {
        Assert.Empty(managed.Lock.Plugins);
        Assert.Null(managed.Runtime.Get("good-tool"));
        Assert.Null(managed.Runtime.Get("spawning-tool"));
        var leftovers = Directory.Exists(managed.Root)
            ? Directory.EnumerateFileSystemEntries(managed.Root, "*", SearchOption.AllDirectories)
                .Where(p => !Directory.Exists(p) || Directory.EnumerateFileSystemEntries(p).Any())
                .ToList()
            : [];
        Assert.Empty(leftovers);
    }
}
