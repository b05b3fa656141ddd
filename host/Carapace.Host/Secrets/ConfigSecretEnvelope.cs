using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Carapace.Host.Secrets;

/// <summary>
/// The upstream config secret envelope, byte-compatible:
/// <c>enc:v2:&lt;b64 nonce&gt;:&lt;b64 ciphertext||tag&gt;:&lt;b64 salt&gt;</c> — AES-256-GCM with a 12-byte
/// nonce, 16-byte tag and empty AAD; the key is Argon2id (m = 64 MiB, t = 3, p = 1) of the password
/// and a fresh 16-byte salt per value; standard base64 with padding. Any other <c>enc:vN:</c> is an error.
/// </summary>
internal static partial class ConfigSecretEnvelope
{
    public const string Prefix = "enc:v2:";
    public const string PasswordEnvironmentVariable = "CARAPACE_CONFIG_PASSWORD";
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>True for a value that is an <c>enc:v2:</c> envelope (well-formed or not).</summary>
    public static bool IsEnvelope(string? value) =>
        value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>True for any <c>enc:vN:</c> value, including versions we refuse.</summary>
    public static bool IsVersionedEnvelope(string? value) =>
        value is not null && VersionedPrefix().IsMatch(value);

    public static string Seal(string plaintext, string password)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var salt = RandomNumberGenerator.GetBytes(Argon2idKdf.SaltSize);
        return Seal(plaintext, password, nonce, salt);
    }

    /// <summary>Deterministic form for known-answer tests; production code uses the random overload.</summary>
    internal static string Seal(string plaintext, string password, byte[] nonce, byte[] salt)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        RequirePassword(password);
        var key = Argon2idKdf.DeriveKey(password, salt);
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[data.Length + TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, data, output.AsSpan(0, data.Length), output.AsSpan(data.Length), associatedData: null);
            return $"{Prefix}{Convert.ToBase64String(nonce)}:{Convert.ToBase64String(output)}:{Convert.ToBase64String(salt)}";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(data);
        }
    }

    public static string Open(string envelope, string password)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (!IsEnvelope(envelope))
        {
            if (IsVersionedEnvelope(envelope))
            {
                throw new ConfigSecretException(ConfigSecretException.UnsupportedVersion,
                    $"unsupported secret envelope '{VersionOf(envelope)}': only enc:v2 is supported");
            }

            throw new ConfigSecretException(ConfigSecretException.Malformed, "value is not an enc:v2 envelope");
        }

        RequirePassword(password);
        var parts = envelope.Split(':');
        if (parts.Length != 5)
        {
            throw Malformed("expected enc:v2:<nonce>:<ciphertext>:<salt>");
        }

        var nonce = DecodeBase64(parts[2], "nonce");
        var sealedBytes = DecodeBase64(parts[3], "ciphertext");
        var salt = DecodeBase64(parts[4], "salt");
        if (nonce.Length != NonceSize)
        {
            throw Malformed($"nonce must be {NonceSize} bytes");
        }

        if (salt.Length != Argon2idKdf.SaltSize)
        {
            throw Malformed($"salt must be {Argon2idKdf.SaltSize} bytes");
        }

        if (sealedBytes.Length < TagSize)
        {
            throw Malformed("ciphertext is shorter than the authentication tag");
        }

        var key = Argon2idKdf.DeriveKey(password, salt);
        var plain = new byte[sealedBytes.Length - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(nonce, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), plain, associatedData: null);
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new ConfigSecretException(ConfigSecretException.DecryptFailed,
                $"cannot decrypt the secret: wrong {PasswordEnvironmentVariable} or the value was modified", innerException: ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static string VersionOf(string value)
    {
        var match = VersionedPrefix().Match(value);
        return match.Success ? match.Value.TrimEnd(':') : "enc:?";
    }

    private static void RequirePassword(string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            throw new ConfigSecretException(ConfigSecretException.PasswordMissing,
                $"{PasswordEnvironmentVariable} is not set; it is needed to encrypt or decrypt enc:v2 secrets");
        }
    }

    private static byte[] DecodeBase64(string text, string part)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (text.Length == 0 || text.Any(char.IsWhiteSpace) || !Convert.TryFromBase64String(text, buffer, out var written))
        {
            throw Malformed($"{part} is not standard base64");
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    private static ConfigSecretException Malformed(string detail) =>
        new(ConfigSecretException.Malformed, $"malformed enc:v2 envelope: {detail}");

    [GeneratedRegex("^enc:v[0-9]+:", RegexOptions.CultureInvariant)]
    private static partial Regex VersionedPrefix();
}
