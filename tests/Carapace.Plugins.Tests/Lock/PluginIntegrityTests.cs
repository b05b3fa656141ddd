using Carapace.Plugins.Lock;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Tests.Packaging;
using Carapace.Plugins.Vetting;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Lock;

public sealed class PluginIntegrityTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SigningKey _key = SigningKey.Generate();
    private readonly string _pluginsRoot;

    public PluginIntegrityTests()
    {
        _pluginsRoot = Path.Combine(_temp.Path, "state", "plugins");
        Carapace.Storage.OwnerOnly.EnsureDirectory(_pluginsRoot);
    }

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    private SignaturePolicy Trusting => new(true, new HashSet<PublisherKey> { _key.PublicKey });

    /// <summary>The install sequence the host wires (stage → sign check → vet → move → lock), minus the runtime.</summary>
    private (string Directory, PluginLockEntry Entry) Install(bool signed = true, bool allowUnsigned = false, SignaturePolicy? policy = null)
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path, "source-" + Guid.NewGuid().ToString("N"));
        var zip = PackageSigner.Pack(source, Path.Combine(_temp.Path, "demo.zip"), signed ? _key : null).ArchivePath;
        var staging = Path.Combine(_pluginsRoot, ".staging", Guid.NewGuid().ToString("N"));

        var staged = PackageReader.Stage(zip, staging);
        var signature = SignatureVerifier.Verify(staged.Directory, policy ?? Trusting, allowUnsigned);
        Assert.True(signature.IsAccepted, signature.Message);
        var vetting = PluginVetter.Vet(staged.Directory);
        Assert.True(vetting.IsClean, string.Join("\n", vetting.Findings));

        var final = Path.Combine(_pluginsRoot, "demo", "1.0.0");
        Carapace.Storage.OwnerOnly.EnsureDirectory(Path.GetDirectoryName(final)!);
        Directory.Move(staged.Directory, final);
        var entry = PluginLockEntry.ForInstall("demo", "1.0.0", staged, signature, vetting, zip,
            DateTimeOffset.UtcNow, SignatureVerifier.ReadSignatureFile(final));
        PluginLockFile.Write(PluginLockFile.PathIn(_pluginsRoot), PluginLock.Empty.With(entry));
        return (final, PluginLockFile.Read(PluginLockFile.PathIn(_pluginsRoot)).Find("demo")!);
    }

    [Fact]
    public void An_installed_plugin_passes_the_load_check()
    {
        var (directory, entry) = Install();

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.True(verdict.MayLoad, string.Join("; ", verdict.Problems));
        Assert.Equal(SignatureState.Verified, verdict.Signature!.State);
        Assert.Equal(_key.PublicKey, entry.PublisherKey);
        Assert.False(entry.AllowUnsigned);
        Assert.True(PluginIntegrity.Check(directory, entry).IsIntact);
    }

    [Fact]
    public void A_tampered_file_is_a_digest_mismatch_against_the_lock_entry()
    {
        var (directory, entry) = Install();
        var dll = Path.Combine(directory, "Carapace.Fixtures.Vetting.Clean.dll");
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
    public void An_added_file_is_a_digest_mismatch()
    {
        var (directory, entry) = Install();
        File.WriteAllText(Path.Combine(directory, "Extra.dll"), "x");

        Assert.Equal(IntegrityCodes.DigestMismatch, PluginIntegrity.Check(directory, entry).Code);
    }

    [Fact]
    public void A_replaced_signature_file_is_detected()
    {
        var (directory, entry) = Install();
        using var other = SigningKey.Generate();
        File.WriteAllBytes(Path.Combine(directory, "plugin.sig"), other.Sign(entry.Sha256).ToBytes());

        Assert.Equal(IntegrityCodes.SignatureChanged, PluginIntegrity.Check(directory, entry).Code);
    }

    [Fact]
    public void A_symlink_planted_in_the_installed_directory_makes_it_unreadable_and_unsafe()
    {
        var (directory, entry) = Install();
        File.CreateSymbolicLink(Path.Combine(directory, "Evil.dll"), "/etc/passwd");

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.Equal(IntegrityCodes.Unreadable, PluginIntegrity.Check(directory, entry).Code);
        Assert.Contains(verdict.Problems, p => p.Code == DirectorySafetyCodes.SymlinkEscape);
    }

    [Fact]
    public void A_missing_installed_directory_is_reported()
    {
        var (directory, entry) = Install();
        Directory.Delete(directory, recursive: true);

        Assert.Equal(IntegrityCodes.Missing, PluginIntegrity.Check(directory, entry).Code);
    }

    [Fact]
    public void Removing_the_publisher_from_the_trusted_list_refuses_the_next_load()
    {
        var (directory, entry) = Install();

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, SignaturePolicy.Default);

        Assert.False(verdict.MayLoad);
        Assert.Equal(SigningErrorCodes.UntrustedPublisher, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public void An_unsigned_install_records_the_override_and_loads_only_while_the_policy_permits_it()
    {
        var relaxed = new SignaturePolicy(false, new HashSet<PublisherKey>());
        var (directory, entry) = Install(signed: false, allowUnsigned: true, policy: relaxed);

        Assert.True(entry.AllowUnsigned);
        Assert.Null(entry.PublisherKey);
        Assert.True(PluginLoadCheck.Verify(_pluginsRoot, directory, entry, relaxed).MayLoad);
        Assert.Equal(SigningErrorCodes.SignatureRequired,
            Assert.Single(PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting).Problems).Code);
    }

    [Fact]
    public void A_world_writable_installed_directory_is_refused_at_load()
    {
        var (directory, entry) = Install();
        File.SetUnixFileMode(directory, (UnixFileMode)0x1FF);

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, entry, Trusting);

        Assert.Equal(DirectorySafetyCodes.WorldWritable, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public void Findings_without_the_recorded_override_refuse_the_load()
    {
        var (directory, entry) = Install();
        var forged = entry with { FindingCount = 1, Findings = [new LockedFinding("process", "x")] };

        var verdict = PluginLoadCheck.Verify(_pluginsRoot, directory, forged, Trusting);

        Assert.Equal(PluginLoadCheck.VettingNotAllowed, Assert.Single(verdict.Problems).Code);
    }

    [Fact]
    public void An_unvetted_install_records_the_findings_summary()
    {
        var directory = Path.Combine(_temp.Path, "unvetted");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "plugin.yaml"), TestPackages.Manifest);
        File.Copy(TestPackages.Fixture("Banned"), Path.Combine(directory, "Banned.dll"));
        var staged = PackageReader.Stage(directory, Path.Combine(_temp.Path, "staged"));
        var vetting = PluginVetter.Vet(staged.Directory);
        var signature = SignatureVerifier.Verify(staged.Digest, null, new SignaturePolicy(false, new HashSet<PublisherKey>()), true);

        var entry = PluginLockEntry.ForInstall("demo", "1.0.0", staged, signature, vetting, directory, DateTimeOffset.UtcNow, null);

        Assert.True(entry.AllowUnvetted);
        Assert.True(entry.AllowUnsigned);
        Assert.Equal(vetting.Findings.Count, entry.FindingCount);
        Assert.Contains(entry.Findings, f => f.Code == VettingCodes.Process && f.Message.Contains("ProcessTool.Run()", StringComparison.Ordinal));
    }
}
