using System.Security.Cryptography;
using System.Text;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Packaging;

public sealed class ContentDigestTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ContentDigest DigestOf(string directory) => PackageDirectoryWalker.ComputeDigest(directory).Digest;

    [Fact]
    public void Digest_follows_the_documented_listing()
    {
        var dir = Path.Combine(_temp.Path, "p");
        Directory.CreateDirectory(Path.Combine(dir, "lib"));
        File.WriteAllText(Path.Combine(dir, "plugin.yaml"), "id: demo\n");
        File.WriteAllText(Path.Combine(dir, "lib", "a.txt"), "A");
        File.WriteAllText(Path.Combine(dir, "Z.txt"), "");

        static string Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
        // Ordinal order: "Z.txt" < "lib/a.txt" < "plugin.yaml" (uppercase sorts first).
        var listing = "carapace-package-digest-v1\n"
            + $"Z.txt\00\0{Hex("")}\n"
            + $"lib/a.txt\01\0{Hex("A")}\n"
            + $"plugin.yaml\09\0{Hex("id: demo\n")}\n";

        Assert.Equal(Hex(listing), DigestOf(dir).Hex);
    }

    [Fact]
    public void Digest_is_stable_and_equal_for_directory_archive_and_staged_copy()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var packed = PackageSigner.Pack(source, Path.Combine(_temp.Path, "demo.zip"));
        var staged = PackageReader.Stage(packed.ArchivePath, Path.Combine(_temp.Path, "staged"));

        Assert.Equal(DigestOf(source), DigestOf(source));
        Assert.Equal(DigestOf(source), packed.Digest);
        Assert.Equal(packed.Digest, staged.Digest);
        Assert.Equal(staged.Digest, DigestOf(staged.Directory));
    }

    [Fact]
    public void Changing_any_byte_of_any_file_changes_the_digest()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var original = DigestOf(source);

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            var saved = bytes.ToArray();
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(file, bytes);
            Assert.NotEqual(original, DigestOf(source));
            File.WriteAllBytes(file, saved);
        }

        Assert.Equal(original, DigestOf(source));
    }

    [Fact]
    public void Renaming_adding_or_removing_a_file_changes_the_digest()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var original = DigestOf(source);
        var readme = Path.Combine(source, "wwwroot", "README.txt");

        File.Move(readme, readme + ".old");
        Assert.NotEqual(original, DigestOf(source));
        File.Move(readme + ".old", readme);

        File.WriteAllText(Path.Combine(source, "extra.dll"), "");
        Assert.NotEqual(original, DigestOf(source));
        File.Delete(Path.Combine(source, "extra.dll"));

        Assert.Equal(original, DigestOf(source));
    }

    [Fact]
    public void The_root_signature_file_is_excluded_but_a_nested_one_is_not()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var original = DigestOf(source);

        File.WriteAllText(Path.Combine(source, "plugin.sig"), "anything");
        Assert.Equal(original, DigestOf(source));

        File.WriteAllText(Path.Combine(source, "wwwroot", "plugin.sig"), "anything");
        Assert.NotEqual(original, DigestOf(source));
    }

    [Fact]
    public void Digest_text_parses_with_or_without_prefix()
    {
        var hex = new string('a', 64);
        Assert.Equal(hex, ContentDigest.Parse("sha256:" + hex.ToUpperInvariant()).Hex);
        Assert.False(ContentDigest.TryParse("sha256:abc", out _));
        Assert.False(ContentDigest.TryParse(new string('g', 64), out _));
    }
}
