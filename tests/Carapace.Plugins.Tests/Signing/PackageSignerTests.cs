using System.IO.Compression;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Tests.Packaging;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Signing;

public sealed class PackageSignerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SigningKey _key = SigningKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    private SignaturePolicy Trusting => new(true, new HashSet<PublisherKey> { _key.PublicKey });

    private StagedPackage Stage(string package, string name = "staged") =>
        PackageReader.Stage(package, Path.Combine(_temp.Path, name));

    [Fact]
    public void Pack_with_a_key_puts_plugin_sig_at_the_root_and_it_verifies_after_staging()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = Path.Combine(_temp.Path, "demo.zip");

        var packed = PackageSigner.Pack(source, zip, _key);
        var staged = Stage(zip);
        var result = SignatureVerifier.Verify(staged.Directory, Trusting, allowUnsigned: false);

        Assert.NotNull(packed.Signature);
        using (var archive = ZipFile.OpenRead(zip))
        {
            Assert.Contains(archive.Entries, e => e.FullName == PackageLayout.SignatureFileName);
        }

        Assert.True(staged.HasSignatureFile);
        Assert.Equal(packed.Digest, staged.Digest);
        Assert.Equal(SignatureState.Verified, result.State);
        Assert.Equal(_key.PublicKey, result.Publisher);
    }

    [Fact]
    public void Signing_an_existing_archive_keeps_its_digest_and_is_deterministic()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = Path.Combine(_temp.Path, "demo.zip");
        var unsigned = PackageSigner.Pack(source, zip);
        Assert.Equal(SigningErrorCodes.SignatureRequired, SignatureVerifier.Verify(Stage(zip, "before").Directory, Trusting, false).Code);

        var signed = PackageSigner.SignArchive(zip, _key);
        var packedSigned = PackageSigner.Pack(source, Path.Combine(_temp.Path, "packed-signed.zip"), _key);

        Assert.Equal(unsigned.Digest, signed.Digest);
        Assert.Equal(File.ReadAllBytes(packedSigned.ArchivePath), File.ReadAllBytes(zip));
        Assert.Equal(SignatureState.Verified, SignatureVerifier.Verify(Stage(zip, "after").Directory, Trusting, false).State);
    }

    [Fact]
    public void Re_signing_with_another_key_replaces_the_signature()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = Path.Combine(_temp.Path, "demo.zip");
        PackageSigner.Pack(source, zip, _key);
        using var other = SigningKey.Generate();

        PackageSigner.SignArchive(zip, other);

        var result = SignatureVerifier.Verify(Stage(zip).Directory, Trusting, allowUnsigned: false);
        Assert.Equal(SigningErrorCodes.UntrustedPublisher, result.Code);
        Assert.Equal(other.PublicKey, result.Publisher);
    }

    [Fact]
    public void Signing_a_directory_writes_plugin_sig_that_verifies_in_place()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);

        PackageSigner.SignDirectory(source, _key);

        Assert.Equal(SignatureState.Verified, SignatureVerifier.Verify(source, Trusting, allowUnsigned: false).State);
    }

    [Fact]
    public void A_file_swapped_inside_a_signed_archive_is_a_digest_mismatch()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = Path.Combine(_temp.Path, "demo.zip");
        PackageSigner.Pack(source, zip, _key);
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            archive.GetEntry("Carapace.Fixtures.Vetting.Clean.dll")!.Delete();
            archive.CreateEntryFromFile(TestPackages.Fixture("Banned"), "Carapace.Fixtures.Vetting.Clean.dll");
        }

        var result = SignatureVerifier.Verify(Stage(zip).Directory, Trusting, allowUnsigned: true);

        Assert.Equal(SignatureState.Refused, result.State);
        Assert.Equal(SigningErrorCodes.DigestMismatch, result.Code);
    }

    [Fact]
    public void Pack_refuses_what_an_installer_would_refuse()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        File.Delete(Path.Combine(source, "plugin.yaml"));

        var ex = Assert.Throws<PackageException>(() => PackageSigner.Pack(source, Path.Combine(_temp.Path, "x.zip"), _key));

        Assert.Equal(PackageErrorCodes.ManifestMissing, ex.Code);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "x.zip")));
    }

    [Fact]
    public void Pack_refuses_an_archive_over_the_size_limit()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        File.WriteAllBytes(Path.Combine(source, "random.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(8192));

        var ex = Assert.Throws<PackageException>(() =>
            PackageSigner.Pack(source, Path.Combine(_temp.Path, "x.zip"), null, new PackageLimits { MaxArchiveBytes = 4096 }));

        Assert.Equal(PackageErrorCodes.TooLarge, ex.Code);
    }
}
