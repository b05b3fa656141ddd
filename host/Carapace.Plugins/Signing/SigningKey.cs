using System.Security.Cryptography;
using System.Text;
using Carapace.Plugins.Packaging;
using NSec.Cryptography;

namespace Carapace.Plugins.Signing;

/// <summary>An Ed25519 private key held in memory (libsodium via NSec); dispose to wipe it.</summary>
internal sealed class SigningKey : IDisposable
{
    /// <summary>Domain separation: a package signature can never be replayed as any other Ed25519 message.</summary>
    public static readonly byte[] MessagePrefix = Encoding.ASCII.GetBytes("carapace-plugin-v1\0");

    private readonly Key _key;

    private SigningKey(Key key)
    {
        _key = key;
        PublicKey = PublisherKey.FromBytes(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public PublisherKey PublicKey { get; }

    public static SigningKey Generate() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Imports a 32-byte Ed25519 seed (libsodium's raw private key).</summary>
    public static SigningKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (!Key.TryImport(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, out var key,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }) || key is null)
        {
            throw new SigningException(SigningErrorCodes.KeyMalformed, "the private key is not a valid Ed25519 key");
        }

        return new SigningKey(key);
    }

    /// <summary>The 32-byte seed; the caller must wipe it.</summary>
    public byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    /// <summary>Signs a package content digest.</summary>
    public PackageSignature Sign(ContentDigest digest) =>
        new(PublicKey, digest, SignatureAlgorithm.Ed25519.Sign(_key, SignedMessage(digest)));

    /// <summary>The exact bytes signed for a digest: <c>"carapace-plugin-v1\0"</c> followed by the 32 digest bytes.</summary>
    public static byte[] SignedMessage(ContentDigest digest) => [.. MessagePrefix, .. digest.ToBytes()];

    /// <summary>True when <paramref name="signature"/> is a valid Ed25519 signature of the digest by its publisher.</summary>
    public static bool VerifySignature(PackageSignature signature)
    {
        if (!NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, signature.Publisher.ToBytes(), KeyBlobFormat.RawPublicKey, out var publicKey)
            || publicKey is null)
        {
            return false;
        }

        return SignatureAlgorithm.Ed25519.Verify(publicKey, SignedMessage(signature.Digest), signature.Signature.Span);
    }

    public void Dispose() => _key.Dispose();

    internal static void Wipe(byte[] secret) => CryptographicOperations.ZeroMemory(secret);
}
