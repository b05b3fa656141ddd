using System.Text;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;

namespace Carapace.Plugins.Tests.Signing;

public sealed class PackageSignatureTests
{
    private static readonly ContentDigest Digest = ContentDigest.Parse(new string('c', 64));

    [Fact]
    public void Signature_file_round_trips_in_the_documented_format()
    {
        using var key = SigningKey.Generate();
        var signature = key.Sign(Digest);

        var text = signature.Serialize();

        var lines = text.Split('\n');
        Assert.Equal(PackageSignature.Header, lines[0]);
        Assert.Equal($"publisher: {key.PublicKey.Hex}", lines[1]);
        Assert.Equal($"digest: sha256:{Digest.Hex}", lines[2]);
        Assert.StartsWith("signature: ", lines[3], StringComparison.Ordinal);
        Assert.True(PackageSignature.TryParse(Encoding.UTF8.GetBytes(text), out var parsed, out _));
        Assert.Equal(signature.Publisher, parsed!.Publisher);
        Assert.Equal(signature.Signature.ToArray(), parsed.Signature.ToArray());
    }

    [Fact]
    public void The_signed_message_is_domain_separated()
    {
        var message = SigningKey.SignedMessage(Digest);

        Assert.Equal("carapace-plugin-v1\0"u8.ToArray(), message[..19]);
        Assert.Equal(Digest.ToBytes(), message[19..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("carapace-plugin-signature-v2\npublisher: {P}\ndigest: sha256:{D}\nsignature: {S}\n")]
    [InlineData("carapace-plugin-signature-v1\npublisher: {P}\ndigest: {D}\nsignature: {S}\n")]
    [InlineData("carapace-plugin-signature-v1\npublisher: zz\ndigest: sha256:{D}\nsignature: {S}\n")]
    [InlineData("carapace-plugin-signature-v1\npublisher: {P}\ndigest: sha256:{D}\nsignature: abcd\n")]
    [InlineData("carapace-plugin-signature-v1\npublisher: {P}\ndigest: sha256:{D}\nsignature: {S}\nextra: 1\n")]
    [InlineData("carapace-plugin-signature-v1\ndigest: sha256:{D}\npublisher: {P}\nsignature: {S}\n")]
    public void Anything_but_the_exact_format_is_malformed(string template)
    {
        using var key = SigningKey.Generate();
        var signature = key.Sign(Digest);
        var text = template.Replace("{P}", key.PublicKey.Hex, StringComparison.Ordinal)
            .Replace("{D}", Digest.Hex, StringComparison.Ordinal)
            .Replace("{S}", Convert.ToHexStringLower(signature.Signature.Span), StringComparison.Ordinal);

        Assert.False(PackageSignature.TryParse(Encoding.UTF8.GetBytes(text), out _, out var reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void An_oversized_signature_file_is_refused_unparsed()
    {
        Assert.False(PackageSignature.TryParse(new byte[PackageSignature.MaxFileBytes + 1], out _, out var reason));
        Assert.Contains("larger", reason, StringComparison.Ordinal);
    }
}
