using System.Text;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;

namespace Carapace.Plugins.Tests.Signing;

public sealed class SignatureVerifierTests : IDisposable
{
    private static readonly ContentDigest Digest = ContentDigest.Parse(new string('d', 64));
    private readonly SigningKey _publisher = SigningKey.Generate();

    public void Dispose() => _publisher.Dispose();

    private SignaturePolicy Policy(bool require, bool trustPublisher) =>
        new(require, trustPublisher ? new HashSet<PublisherKey> { _publisher.PublicKey } : new HashSet<PublisherKey>());

    private byte[] Signed() => _publisher.Sign(Digest).ToBytes();

    // Every combination of package state × requireSignature × --allow-unsigned (docs/plugin-packages.md table).
    [Theory]
    [InlineData("trusted", true, false, "Verified", null)]
    [InlineData("trusted", true, true, "Verified", null)]
    [InlineData("trusted", false, false, "Verified", null)]
    [InlineData("trusted", false, true, "Verified", null)]
    [InlineData("untrusted", true, false, "Refused", SigningErrorCodes.UntrustedPublisher)]
    [InlineData("untrusted", true, true, "Refused", SigningErrorCodes.UntrustedPublisher)]
    [InlineData("untrusted", false, false, "Refused", SigningErrorCodes.UntrustedPublisher)]
    [InlineData("untrusted", false, true, "Untrusted", null)]
    [InlineData("unsigned", true, false, "Refused", SigningErrorCodes.SignatureRequired)]
    [InlineData("unsigned", true, true, "Refused", SigningErrorCodes.SignatureRequired)]
    [InlineData("unsigned", false, false, "Refused", SigningErrorCodes.SignatureMissing)]
    [InlineData("unsigned", false, true, "Unsigned", null)]
    public void Policy_matrix(string package, bool requireSignature, bool allowUnsigned, string outcome, string? code)
    {
        var expected = Enum.Parse<SignatureState>(outcome);
        var policy = Policy(requireSignature, trustPublisher: package == "trusted");
        var file = package == "unsigned" ? null : Signed();

        var result = SignatureVerifier.Verify(Digest, file, policy, allowUnsigned);

        Assert.Equal(expected, result.State);
        Assert.Equal(code, result.Code);
        Assert.Equal(expected != SignatureState.Refused, result.IsAccepted);
        Assert.Equal(expected is SignatureState.Unsigned or SignatureState.Untrusted, result.UsedOverride);
        if (package != "unsigned")
        {
            Assert.Equal(_publisher.PublicKey, result.Publisher);
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void A_bad_signature_is_refused_under_every_policy(bool requireSignature, bool allowUnsigned)
    {
        var signature = _publisher.Sign(Digest);
        var forged = signature.Signature.ToArray();
        forged[10] ^= 0x40;
        var file = (signature with { Signature = forged }).ToBytes();

        var result = SignatureVerifier.Verify(Digest, file, Policy(requireSignature, trustPublisher: true), allowUnsigned);

        Assert.Equal(SignatureState.Refused, result.State);
        Assert.Equal(SigningErrorCodes.SignatureInvalid, result.Code);
    }

    [Fact]
    public void A_signature_for_other_content_is_a_digest_mismatch_even_when_trusted_and_overridden()
    {
        var other = ContentDigest.Parse(new string('e', 64));

        var result = SignatureVerifier.Verify(other, Signed(), Policy(false, trustPublisher: true), allowUnsigned: true);

        Assert.Equal(SigningErrorCodes.DigestMismatch, result.Code);
    }

    [Fact]
    public void A_signature_claiming_the_right_digest_but_signing_another_is_invalid()
    {
        var other = ContentDigest.Parse(new string('e', 64));
        var replayed = _publisher.Sign(other) with { Digest = Digest };

        var result = SignatureVerifier.Verify(Digest, replayed.ToBytes(), Policy(true, trustPublisher: true), allowUnsigned: false);

        Assert.Equal(SigningErrorCodes.SignatureInvalid, result.Code);
    }

    [Fact]
    public void A_malformed_signature_file_is_refused_even_with_the_override()
    {
        var result = SignatureVerifier.Verify(Digest, Encoding.UTF8.GetBytes("garbage"), Policy(false, false), allowUnsigned: true);

        Assert.Equal(SignatureState.Refused, result.State);
        Assert.Equal(SigningErrorCodes.SignatureMalformed, result.Code);
    }

    [Fact]
    public void The_default_policy_requires_a_trusted_signature()
    {
        Assert.True(SignaturePolicy.Default.RequireSignature);
        Assert.Empty(SignaturePolicy.Default.TrustedPublishers);
        Assert.Equal(SigningErrorCodes.UntrustedPublisher,
            SignatureVerifier.Verify(Digest, Signed(), SignaturePolicy.Default, allowUnsigned: true).Code);
    }
}
