using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Carapace.Host.Secrets;

/// <summary>
/// Argon2id (v0x13, m = 64 MiB, t = 3, p = 1, 32-byte output) from a password and a 16-byte salt,
/// the one KDF of config envelopes and the encrypted credential file. NSec wraps libsodium; the
/// password is passed as UTF-8 bytes explicitly because the upstream format hashes UTF-8.
/// Each derivation costs ~100 ms and 64 MiB, so results are cached per (salt, password) for the
/// life of the process: a value or file is derived once, however often it is opened.
/// </summary>
internal static class Argon2idKdf
{
    public const int SaltSize = 16;
    public const int KeySize = 32;
    public const int MemoryKib = 65536;
    public const int Passes = 3;
    public const int Parallelism = 1;

    private const int MaxCachedKeys = 256;

    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    private static readonly PasswordBasedKeyDerivationAlgorithm Algorithm = CreateAlgorithm();

    /// <summary>Returns a fresh copy of the derived 32-byte key (callers may zero it).</summary>
    public static byte[] DeriveKey(string password, ReadOnlySpan<byte> salt)
    {
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"Argon2id salt must be {SaltSize} bytes", nameof(salt));
        }

        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            var cacheKey = CacheKey(passwordBytes, salt);
            if (!Cache.TryGetValue(cacheKey, out var key))
            {
                key = Algorithm.DeriveBytes(passwordBytes, salt, KeySize);
                if (Cache.Count >= MaxCachedKeys)
                {
                    Cache.Clear();
                }

                Cache[cacheKey] = key;
            }

            return (byte[])key.Clone();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }

    private static PasswordBasedKeyDerivationAlgorithm CreateAlgorithm()
    {
        // NSec's MemorySize is in KiB (verified against the reference argon2 CLI in the tests).
        var parameters = new Argon2Parameters
        {
            DegreeOfParallelism = Parallelism,
            MemorySize = MemoryKib,
            NumberOfPasses = Passes,
        };
        return PasswordBasedKeyDerivationAlgorithm.Argon2id(in parameters);
    }

    // The cache is keyed by a MAC of the password under the salt, so the table never holds the
    // password itself and two salts never share an entry.
    private static string CacheKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(salt, password, mac);
        return Convert.ToBase64String(mac);
    }
}
