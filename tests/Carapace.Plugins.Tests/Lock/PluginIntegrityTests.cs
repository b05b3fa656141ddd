using Carapace.Plugins.Lock;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Tests.Install;
using Carapace.Plugins.Tests.Packaging;
using Carapace.Plugins.Vetting;

namespace Carapace.Plugins.Tests.Lock;

public sealed class PluginIntegrityTests : IAsyncLifetime
{
    private ManagedHarness _managed = null!;

    public async Task InitializeAsync() => _managed = await ManagedHarness.StartAsync(new Dictionary<string, string?>
    {
        // The unsigned case needs a policy that permits --allow-unsigned; the signed cases pass Trusting explicitly.
        ["plugins:signature:requireSignature"] = "false",
    });

    public async Task DisposeAsync() => await _managed.DisposeAsync();

    private string _pluginsRoot => _managed.Root;

    private SignaturePolicy Trusting => new(true, new HashSet<PublisherKey> { _managed.Key.PublicKey });

    /// <summary>Installs the good-tool fixture through the real installer and returns its directory and lock entry as read back.</summary>
    private async Task<(string Directory, PluginLockEntry Entry)> InstallAsync(bool signed = true, bool allowUnsigned = false)
    {
        var outcome = await _managed.InstallAsync(_managed.Package(sign: signed), allowUnsigned: allowUnsigned);
        Assert.Equal("active", outcome.Plugin!.State);
        return (outcome.Plugin.Directory, PluginLockFile.Read(PluginLockFile.PathIn(_pluginsRoot)).Find("good-tool")!);
    }

    [Fact]
    public async Task An_installed_plugin_passes_the_load_check()
    {
        var (directory, entry) = await InstallAsync();

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.True(verdict.MayLoad, string.Join("; ", verdict.Problems));
        Assert.Equal(SignatureState.Verified, verdict.Signature!.State);
        Assert.Equal(_managed.Key.PublicKey, entry.PublisherKey);
        Assert.False(entry.AllowUnsigned);
        Assert.True(PluginIntegrity.Check(directory, entry).IsIntact);
    }

    [Fact]
    public async Task A_tampered_file_is_a_digest_mismatch_against_the_lock_entry()
    {
        var (directory, entry) = await InstallAsync();
        var dll = Path.Combine(directory, "GoodToolPlugin.dll");
        var bytes = File.ReadAllBytes(dll);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(dll, bytes);

        var result = PluginIntegrity.Check(directory, entry);
        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.False(result.IsIntact);
        Assert.Equal(IntegrityCodes.DigestMismatch, result.Code);
        Assert.Contains(entry.Sha256.Hex, result.Message, StringComparison.Ordinal);
        Assert.False(verdict.MayLoad);
        Assert.Equal(IntegrityCodes.DigestMismatch, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public async Task An_added_file_is_a_digest_mismatch()
    {
        var (directory, entry) = await InstallAsync();
        File.WriteAllText(Path.Combine(directory, "Extra.dll"), "x");

        Assert.Equal(IntegrityCodes.DigestMismatch, PluginIntegrity.Check(directory, entry).Code);
    }

    [Fact]
    public async Task A_replaced_signature_file_is_detected()
    {
        var (directory, entry) = await InstallAsync();
        using var other = SigningKey.Generate();
        File.WriteAllBytes(Path.Combine(directory, "plugin.sig"), other.Sign(entry.Sha256).ToBytes());

        Assert.Equal(IntegrityCodes.SignatureChanged, PluginIntegrity.Check(directory, entry).Code);
    }

    [Fact]
    public async Task A_symlink_planted_in_the_installed_directory_makes_it_unreadable_and_unsafe()
    {
        var (directory, entry) = await InstallAsync();
        File.CreateSymbolicLink(Path.Combine(directory, "Evil.dll"), "/etc/passwd");

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.Equal(IntegrityCodes.Unreadable, PluginIntegrity.Check(directory, entry).Code);
        Assert.Contains(verdict.Problems, p => p.Code == DirectorySafetyCodes.SymlinkEscape);
    }

    [Fact]
    public async Task A_missing_installed_directory_is_reported()
    {
        var (directory, entry) = await InstallAsync();
        Directory.Delete(directory, recursive: true);

        Assert.Equal(IntegrityCodes.Missing, PluginIntegrity.Check(directory, entry).Code);
    }

    [Fact]
    public async Task Removing_the_publisher_from_the_trusted_list_refuses_the_next_load()
    {
        var (directory, entry) = await InstallAsync();

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, SignaturePolicy.Default);

        Assert.False(verdict.MayLoad);
        Assert.Equal(SigningErrorCodes.UntrustedPublisher, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public async Task An_unsigned_install_records_the_override_and_loads_only_while_the_policy_permits_it()
    {
        var relaxed = new SignaturePolicy(false, new HashSet<PublisherKey>());
        var (directory, entry) = await InstallAsync(signed: false, allowUnsigned: true);

        Assert.True(entry.AllowUnsigned);
        Assert.Null(entry.PublisherKey);
        Assert.True(PluginLoadCheck.Verify(_pluginsRoot, directory, entry, relaxed).MayLoad);
        Assert.Equal(SigningErrorCodes.SignatureRequired,
            Assert.Single(PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting).Problems).Code);
    }

    [Fact]
    public async Task A_world_writable_installed_directory_is_refused_at_load()
    {
        var (directory, entry) = await InstallAsync();
        File.SetUnixFileMode(directory, (UnixFileMode)0x1FF);

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.Equal(DirectorySafetyCodes.WorldWritable, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public async Task Findings_without_the_recorded_override_refuse_the_load()
    {
        var (directory, entry) = await InstallAsync();
        var forged = entry with { FindingCount = 1, Findings = [new LockedFinding("process", "x")] };

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, forged, Trusting);

        Assert.Equal(PluginLoadCheck.VettingNotAllowed, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public void An_unvetted_install_records_the_findings_summary()
    {
        var directory = _managed.Dir.Combine("unvetted");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "plugin.yaml"), TestPackages.Manifest);
        File.Copy(TestPackages.Fixture("Banned"), Path.Combine(directory, "Banned.dll"));
        var staged = PackageReader.Stage(directory, _managed.Dir.Combine("staged"));
        var vetting = PluginVetter.Vet(staged.Directory);
        var signature = SignatureVerifier.Verify(staged.Digest, null, new SignaturePolicy(false, new HashSet<PublisherKey>()), true);

        var entry = PluginLockEntry.ForInstall("demo", "1.0.0", staged, signature, vetting, directory, DateTimeOffset.UtcNow, null);

        Assert.True(entry.AllowUnvetted);
        Assert.True(entry.AllowUnsigned);
        Assert.Equal(vetting.Findings.Count, entry.FindingCount);
        Assert.Contains(entry.Findings, f => f.Code == VettingCodes.Process && f.Message.Contains("ProcessTool.Run()", StringComparison.Ordinal));
    }
}
