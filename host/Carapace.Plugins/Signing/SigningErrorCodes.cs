namespace Carapace.Plugins.Signing;

/// <summary>Stable codes for signing-key problems and signature verification refusals.</summary>
internal static class SigningErrorCodes
{
    /// <summary>`cara keys generate` would overwrite an existing key file.</summary>
    public const string KeyExists = "signing_key_exists";

    /// <summary>The key file does not exist.</summary>
    public const string KeyNotFound = "signing_key_not_found";

    /// <summary>The key file is not in the expected format.</summary>
    public const string KeyMalformed = "signing_key_malformed";

    /// <summary>The private key file is readable or writable by group or others.</summary>
    public const string KeyPermissions = "signing_key_permissions";

    /// <summary>Unsigned package and <c>plugins.signature.requireSignature</c> is true (no flag overrides this).</summary>
    public const string SignatureRequired = "signature_required";

    /// <summary>Unsigned package, the policy permits an override, but <c>--allow-unsigned</c> was not given.</summary>
    public const string SignatureMissing = "signature_missing";

    /// <summary>A valid signature by a key that is not in <c>plugins.signature.trustedPublishers</c>.</summary>
    public const string UntrustedPublisher = "signature_untrusted_publisher";

    /// <summary>The Ed25519 signature does not verify. Never overridable.</summary>
    public const string SignatureInvalid = "signature_invalid";

    /// <summary>The signature names a different content digest than the package has. Never overridable.</summary>
    public const string DigestMismatch = "signature_digest_mismatch";

    /// <summary>The signature file cannot be parsed. Never overridable.</summary>
    public const string SignatureMalformed = "signature_malformed";
}
