using System.Numerics;
using System.Security.Cryptography;

namespace Carapace.Host.Credentials.SecretService;

/// <summary>
/// Transport protection of secrets on the bus. <c>plain</c> sends them as is (the session bus is
/// private to the user); <c>dh-ietf1024-sha256-aes128-cbc-pkcs7</c> agrees an AES-128 key with the
/// service: DH over the RFC 2409 1024-bit MODP group (generator 2), HKDF-SHA256 of the shared secret
/// (no salt, no info) to 16 bytes, then AES-CBC with PKCS#7 and a random IV in the secret's
/// <c>parameters</c>. Hand-written because no packaged .NET client implements this algorithm; the
/// arithmetic is BigInteger.ModPow and the primitives are the BCL's.
/// </summary>
internal sealed class SecretServiceSessionCrypto : IDisposable
{
    public const string PlainAlgorithm = "plain";
    public const string DhAlgorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

    private const int GroupBytes = 128;

    // RFC 2409 §6.2, the Second Oakley Group: 2^1024 - 2^960 - 1 + 2^64 * (floor(2^894 pi) + 129093).
    private static readonly BigInteger Prime = BigInteger.Parse(
        "00FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
        System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    private readonly byte[]? _aesKey;

    private SecretServiceSessionCrypto(byte[]? aesKey) => _aesKey = aesKey;

    public static SecretServiceSessionCrypto Plain { get; } = new(null);

    public bool IsEncrypted => _aesKey is not null;

    /// <summary>A DH key pair: the private exponent and the public value to send in OpenSession.</summary>
    public static (BigInteger PrivateKey, byte[] PublicKey) CreateKeyPair()
    {
        var random = RandomNumberGenerator.GetBytes(GroupBytes);
        var x = new BigInteger(random, isUnsigned: true, isBigEndian: true) % (Prime - 3) + 2;
        var publicValue = BigInteger.ModPow(2, x, Prime);
        return (x, publicValue.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    /// <summary>
    /// Derives the session key, or returns null when the shared secret has a leading zero byte.
    /// Implementations disagree on whether that byte is kept before HKDF, so such a session is
    /// discarded and a new one opened (1 in 256) rather than risking a silently wrong key.
    /// </summary>
    public static SecretServiceSessionCrypto? TryCreateDh(BigInteger privateKey, ReadOnlySpan<byte> servicePublicKey)
    {
        var y = new BigInteger(servicePublicKey, isUnsigned: true, isBigEndian: true);
        if (y <= 1 || y >= Prime - 1)
        {
            throw new CryptographicException("the Secret Service sent an invalid DH public key");
        }

        var shared = BigInteger.ModPow(y, privateKey, Prime).ToByteArray(isUnsigned: true, isBigEndian: true);
        try
        {
            if (shared.Length != GroupBytes)
            {
                return null;
            }

            var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 16, salt: [], info: []);
            return new SecretServiceSessionCrypto(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    public (byte[] Parameters, byte[] Value) Encrypt(byte[] plaintext)
    {
        if (_aesKey is null)
        {
            return ([], plaintext);
        }

        var iv = RandomNumberGenerator.GetBytes(16);
        using var aes = Aes.Create();
        aes.Key = _aesKey;
        return (iv, aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7));
    }

    public byte[] Decrypt(byte[] parameters, byte[] value)
    {
        if (_aesKey is null)
        {
            return (byte[])value.Clone(); // the caller zeroes the wire buffer
        }

        if (parameters.Length != 16)
        {
            throw new CryptographicException("the Secret Service returned a secret without a 16-byte IV");
        }

        using var aes = Aes.Create();
        aes.Key = _aesKey;
        return aes.DecryptCbc(value, parameters, PaddingMode.PKCS7);
    }

    public void Dispose()
    {
        if (_aesKey is not null)
        {
            CryptographicOperations.ZeroMemory(_aesKey);
        }
    }
}
