using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Signing;

public sealed class SigningKeyFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string KeyPath => Path.Combine(_temp.Path, "publisher.key");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Generated_private_key_is_0600_and_the_public_key_file_holds_the_hex_key()
    {
        var publicKey = SigningKeyFile.Generate(KeyPath);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        var lines = File.ReadAllLines(KeyPath);
        Assert.Equal(SigningKeyFile.PrivateHeader, lines[0]);
        Assert.Equal(32, Convert.FromBase64String(lines[1]).Length);
        Assert.Equal([SigningKeyFile.PublicHeader, publicKey.Hex], File.ReadAllLines(KeyPath + ".pub"));
        Assert.Equal(publicKey, SigningKeyFile.LoadPublic(KeyPath + ".pub"));
        Assert.Empty(Directory.EnumerateFiles(_temp.Path, "*.tmp"));
    }

    [Fact]
    public void A_loaded_key_signs_what_its_public_key_verifies()
    {
        var publicKey = SigningKeyFile.Generate(KeyPath);
        using var key = SigningKeyFile.Load(KeyPath);
        var digest = ContentDigest.Parse(new string('1', 64));

        var signature = key.Sign(digest);

        Assert.Equal(publicKey, key.PublicKey);
        Assert.True(SigningKey.VerifySignature(signature));
        Assert.False(SigningKey.VerifySignature(signature with { Digest = ContentDigest.Parse(new string('2', 64)) }));
    }

    [Fact]
    public void Generate_refuses_to_overwrite_a_private_key()
    {
        var first = SigningKeyFile.Generate(KeyPath);
        var before = File.ReadAllBytes(KeyPath);

        var ex = Assert.Throws<SigningException>(() => SigningKeyFile.Generate(KeyPath));

        Assert.Equal(SigningErrorCodes.KeyExists, ex.Code);
        Assert.Equal(before, File.ReadAllBytes(KeyPath));
        Assert.Equal(first, SigningKeyFile.LoadPublic(KeyPath + ".pub"));
    }

    [Fact]
    public void Generate_refuses_when_only_the_public_file_exists()
    {
        File.WriteAllText(KeyPath + ".pub", "someone else's key");

        var ex = Assert.Throws<SigningException>(() => SigningKeyFile.Generate(KeyPath));

        Assert.Equal(SigningErrorCodes.KeyExists, ex.Code);
        Assert.False(File.Exists(KeyPath));
    }

    [Fact]
    public void Generate_refuses_to_write_through_a_symlink()
    {
        var target = Path.Combine(_temp.Path, "victim");
        File.CreateSymbolicLink(KeyPath, target);

        Assert.Equal(SigningErrorCodes.KeyExists, Assert.Throws<SigningException>(() => SigningKeyFile.Generate(KeyPath)).Code);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void A_private_key_readable_by_others_is_refused()
    {
        SigningKeyFile.Generate(KeyPath);
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var ex = Assert.Throws<SigningException>(() => SigningKeyFile.Load(KeyPath));

        Assert.Equal(SigningErrorCodes.KeyPermissions, ex.Code);
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("carapace-ed25519-private-v1\n")]
    [InlineData("carapace-ed25519-private-v1\nnot base64!\n")]
    [InlineData("carapace-ed25519-private-v1\nAAAA\n")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n")]
    public void A_malformed_private_key_is_refused(string content)
    {
        File.WriteAllText(KeyPath, content);
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal(SigningErrorCodes.KeyMalformed, Assert.Throws<SigningException>(() => SigningKeyFile.Load(KeyPath)).Code);
    }

    [Fact]
    public void A_missing_key_file_is_reported_as_such()
    {
        Assert.Equal(SigningErrorCodes.KeyNotFound, Assert.Throws<SigningException>(() => SigningKeyFile.Load(KeyPath)).Code);
    }
}
