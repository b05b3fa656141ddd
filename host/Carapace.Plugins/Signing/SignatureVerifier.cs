using Carapace.Plugins.Packaging;

namespace Carapace.Plugins.Signing;

/// <summary>What signature verification concluded.</summary>
internal enum SignatureState
{
    /// <summary>Valid signature by a trusted publisher.</summary>
    Verified,

    /// <summary>No signature; accepted only because <c>--allow-unsigned</c> was given and the policy permits it.</summary>
    Unsigned,

    /// <summary>Valid signature by an untrusted publisher; accepted only under the same override as <see cref="Unsigned"/>.</summary>
    Untrusted,

    /// <summary>Not acceptable; <see cref="SignatureVerification.Code"/> says why.</summary>
    Refused,
}

/// <summary>The outcome of <see cref="SignatureVerifier"/>. <see cref="Publisher"/> is set whenever a signature parsed.</summary>
internal sealed record SignatureVerification(SignatureState State, PublisherKey? Publisher, string? Code, string Message)
{
    public bool IsAccepted => State != SignatureState.Refused;

    /// <summary>True when acceptance relied on <c>--allow-unsigned</c> (record it in the lock file).</summary>
    public bool UsedOverride => State is SignatureState.Unsigned or SignatureState.Untrusted;
}

/// <summary>
/// Decides whether a package's signature is acceptable. A pure function of the content digest, the
/// signature file, the policy and the operator's override, so the runtime repeats it at every load
/// (with the override recorded in the lock entry) and gets the install-time answer unless the
/// files, the signature or the policy changed.
/// </summary>
/// <remarks>
/// Semantics (docs/plugin-packages.md has the full table):
/// <list type="bullet">
/// <item>A malformed signature, a digest mismatch or an invalid signature is always refused: a
/// broken or tampered package is never installable, whatever the flags.</item>
/// <item>Unsigned, or validly signed by an untrusted key: refused when <c>requireSignature</c> is
/// true (the flag cannot weaken configuration); otherwise refused unless <c>allowUnsigned</c>.</item>
/// </list>
/// </remarks>
internal static class SignatureVerifier
{
    /// <summary>
    /// Verifies an installed or staged package directory (recomputes its digest). Throws
    /// <see cref="PackageException"/> when the directory cannot be hashed (a link, a device file, a
    /// bad name); <see cref="Lock.PluginLoadCheck"/> turns that into a load problem.
    /// </summary>
    public static SignatureVerification Verify(string packageDirectory, SignaturePolicy policy, bool allowUnsigned)
    {
        var (digest, _) = PackageDirectoryWalker.ComputeDigest(packageDirectory);
        return Verify(digest, ReadSignatureFile(packageDirectory), policy, allowUnsigned);
    }

    /// <summary>Verifies a digest against the bytes of a signature file (null when the package has none).</summary>
    public static SignatureVerification Verify(ContentDigest digest, ReadOnlySpan<byte> signatureFile, bool hasSignatureFile,
        SignaturePolicy policy, bool allowUnsigned)
    {
        if (!hasSignatureFile)
        {
            if (policy.RequireSignature)
            {
                return Refused(null, SigningErrorCodes.SignatureRequired,
                    "the package is unsigned and plugins.signature.requireSignature is true (--allow-unsigned cannot override it)");
            }

            return allowUnsigned
                ? new SignatureVerification(SignatureState.Unsigned, null, null, "the package is unsigned; accepted because --allow-unsigned was given")
                : Refused(null, SigningErrorCodes.SignatureMissing,
                    "the package is unsigned; pass --allow-unsigned to install it anyway (allowed because requireSignature is false)");
        }

        if (!PackageSignature.TryParse(signatureFile, out var signature, out var reason) || signature is null)
        {
            return Refused(null, SigningErrorCodes.SignatureMalformed, $"the signature file is malformed: {reason}");
        }

        if (!signature.Digest.Equals(digest))
        {
            return Refused(signature.Publisher, SigningErrorCodes.DigestMismatch,
                $"the signature is for content sha256:{signature.Digest.Hex} but the package is sha256:{digest.Hex}");
        }

        if (!SigningKey.VerifySignature(signature))
        {
            return Refused(signature.Publisher, SigningErrorCodes.SignatureInvalid,
                $"the signature does not verify with publisher key {signature.Publisher.Hex}");
        }

        if (policy.IsTrusted(signature.Publisher))
        {
            return new SignatureVerification(SignatureState.Verified, signature.Publisher, null,
                $"signed by trusted publisher {signature.Publisher.Hex}");
        }

        if (policy.RequireSignature)
        {
            return Refused(signature.Publisher, SigningErrorCodes.UntrustedPublisher,
                $"publisher {signature.Publisher.Hex} is not in plugins.signature.trustedPublishers (requireSignature is true; --allow-unsigned cannot override it)");
        }

        return allowUnsigned
            ? new SignatureVerification(SignatureState.Untrusted, signature.Publisher, null,
                $"signed by untrusted publisher {signature.Publisher.Hex}; accepted because --allow-unsigned was given")
            : Refused(signature.Publisher, SigningErrorCodes.UntrustedPublisher,
                $"publisher {signature.Publisher.Hex} is not in plugins.signature.trustedPublishers; add it, or pass --allow-unsigned");
    }

    /// <summary>Convenience overload: <paramref name="signatureFile"/> null means unsigned.</summary>
    public static SignatureVerification Verify(ContentDigest digest, byte[]? signatureFile, SignaturePolicy policy, bool allowUnsigned) =>
        Verify(digest, signatureFile ?? [], signatureFile is not null, policy, allowUnsigned);

    /// <summary>The bytes of <c>plugin.sig</c> at the package root, or null. Oversized files are cut so parsing refuses them.</summary>
    public static byte[]? ReadSignatureFile(string packageDirectory)
    {
        var path = Path.Combine(packageDirectory, PackageLayout.SignatureFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buffer = new byte[Math.Min(stream.Length, PackageSignature.MaxFileBytes + 1)];
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static SignatureVerification Refused(PublisherKey? publisher, string code, string message) =>
        new(SignatureState.Refused, publisher, code, message);
}
