using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Secrets;

namespace Carapace.Host.Credentials;

/// <summary>
/// The in-memory form of the encrypted credential file. Layout (big-endian integers):
/// <code>
/// header   "CARACRED" | version u8 (1) | kdf u8 (1 = Argon2id v0x13) | m KiB u32 | t u32 | p u32 | salt[16]
/// verifier nonce[12] | tag[16]               AES-256-GCM of "" with AAD = header
/// count    u32
/// entry*   keyLen u16 | key (UTF-8) | nonce[12] | len u32 | ciphertext | tag[16]
///                                            AAD = header | "entry" | key
/// trailer  nonce[12] | tag[16]               AES-256-GCM of "" with AAD = header | "trailer" | SHA-256(verifier..last entry)
/// </code>
/// The verifier tells a wrong password from damage; the entry AAD binds each value to its key and to
/// this file; the trailer detects truncation, dropped or swapped entries and trailing garbage.
/// Keys are visible (they are non-secret, like the index); values are not.
/// </summary>
internal sealed class EncryptedCredentialFile
{
    public const byte FormatVersion = 1;
    private const byte KdfArgon2id = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 8 + 1 + 1 + 4 + 4 + 4 + Argon2idKdf.SaltSize;
    private const int MinimumSize = HeaderSize + NonceSize + TagSize + 4 + NonceSize + TagSize;

    private static ReadOnlySpan<byte> Magic => "CARACRED"u8;
    private static ReadOnlySpan<byte> EntryLabel => "entry"u8;
    private static ReadOnlySpan<byte> TrailerLabel => "trailer"u8;

    private readonly byte[] _header;
    private readonly byte[] _key;
    private readonly SortedDictionary<string, SealedValue> _entries;

    private EncryptedCredentialFile(byte[] header, byte[] key, SortedDictionary<string, SealedValue> entries)
    {
        _header = header;
        _key = key;
        _entries = entries;
    }

    public IEnumerable<string> Keys => _entries.Keys;

    /// <summary>A new, empty store with a fresh salt.</summary>
    public static EncryptedCredentialFile Create(string password)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        header[8] = FormatVersion;
        header[9] = KdfArgon2id;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(10), Argon2idKdf.MemoryKib);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(14), Argon2idKdf.Passes);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(18), Argon2idKdf.Parallelism);
        RandomNumberGenerator.Fill(header.AsSpan(22, Argon2idKdf.SaltSize));
        var key = Argon2idKdf.DeriveKey(password, header.AsSpan(22, Argon2idKdf.SaltSize));
        return new EncryptedCredentialFile(header, key, new SortedDictionary<string, SealedValue>(StringComparer.Ordinal));
    }

    /// <summary>Parses and authenticates a whole file. Never returns a partial view.</summary>
    /// <exception cref="CredentialException">credential_password_invalid or credential_store_corrupt.</exception>
    public static EncryptedCredentialFile Parse(ReadOnlySpan<byte> data, string password, string path)
    {
        if (data.Length < HeaderSize || !data[..8].SequenceEqual(Magic))
        {
            throw Corrupt(path, data.Length < MinimumSize ? "the file is truncated" : "it is not a Carapace credential store");
        }

        if (data[8] != FormatVersion)
        {
            throw Corrupt(path, $"format version {data[8]} is not supported (this build reads version {FormatVersion})");
        }

        if (data.Length < MinimumSize)
        {
            throw Corrupt(path, "the file is truncated");
        }

        if (data[9] != KdfArgon2id ||
            BinaryPrimitives.ReadUInt32BigEndian(data[10..]) != Argon2idKdf.MemoryKib ||
            BinaryPrimitives.ReadUInt32BigEndian(data[14..]) != Argon2idKdf.Passes ||
            BinaryPrimitives.ReadUInt32BigEndian(data[18..]) != Argon2idKdf.Parallelism)
        {
            throw Corrupt(path, "the key-derivation parameters in the header are not the supported ones");
        }

        var header = data[..HeaderSize].ToArray();
        var key = Argon2idKdf.DeriveKey(password, header.AsSpan(22, Argon2idKdf.SaltSize));
        var ok = false;
        try
        {
            using var aes = new AesGcm(key, TagSize);
            var pos = HeaderSize;
            if (!TryAuthenticate(aes, data.Slice(pos, NonceSize), data.Slice(pos + NonceSize, TagSize), header))
            {
                throw new CredentialException(CredentialErrorCodes.PasswordInvalid,
                    $"cannot open the encrypted credential store '{path}': CARAPACE_CONFIG_PASSWORD is wrong (or the file header is damaged)",
                    "set CARAPACE_CONFIG_PASSWORD to the password the store was created with; the file was not modified");
            }

            var bodyStart = pos;
            pos += NonceSize + TagSize;
            var count = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            pos += 4;
            var entries = new SortedDictionary<string, SealedValue>(StringComparer.Ordinal);
            for (var i = 0u; i < count; i++)
            {
                if (data.Length - pos < 2)
                {
                    throw Corrupt(path, "the file is truncated");
                }

                int keyLength = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
                pos += 2;
                if (data.Length - pos < keyLength + NonceSize + 4)
                {
                    throw Corrupt(path, "the file is truncated");
                }

                var entryKey = Encoding.UTF8.GetString(data.Slice(pos, keyLength));
                pos += keyLength;
                var nonce = data.Slice(pos, NonceSize).ToArray();
                pos += NonceSize;
                var length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
                pos += 4;
                if ((ulong)(data.Length - pos) < (ulong)length + TagSize)
                {
                    throw Corrupt(path, "the file is truncated");
                }

                var sealedBytes = data.Slice(pos, (int)length + TagSize).ToArray();
                pos += (int)length + TagSize;
                if (!CredentialKey.TryParse(entryKey, out _, out _) || !entries.TryAdd(entryKey, new SealedValue(nonce, sealedBytes)))
                {
                    throw Corrupt(path, "it holds an invalid or duplicate key");
                }
            }

            if (data.Length - pos != NonceSize + TagSize)
            {
                throw Corrupt(path, data.Length - pos < NonceSize + TagSize ? "the file is truncated" : "it has trailing data");
            }

            var trailerAad = TrailerAad(header, data[bodyStart..pos]);
            if (!TryAuthenticate(aes, data.Slice(pos, NonceSize), data.Slice(pos + NonceSize, TagSize), trailerAad))
            {
                throw Corrupt(path, "its integrity check failed (modified or truncated)");
            }

            ok = true;
            return new EncryptedCredentialFile(header, key, entries);
        }
        finally
        {
            if (!ok)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    public bool Contains(string key) => _entries.ContainsKey(key);

    public string? Get(string key, string path)
    {
        if (!_entries.TryGetValue(key, out var sealedValue))
        {
            return null;
        }

        var plain = new byte[sealedValue.Bytes.Length - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedValue.Nonce, sealedValue.Bytes.AsSpan(0, plain.Length), sealedValue.Bytes.AsSpan(plain.Length),
                plain, EntryAad(key));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new CredentialException(CredentialErrorCodes.StoreCorrupt,
                $"the encrypted credential store '{path}' is damaged: the value of '{key}' fails authentication",
                "restore the file from a backup; Carapace never resets a damaged store", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public void Set(string key, string value)
    {
        var plain = Encoding.UTF8.GetBytes(value);
        try
        {
            var nonce = RandomNumberGenerator.GetBytes(NonceSize);
            var sealedBytes = new byte[plain.Length + TagSize];
            using var aes = new AesGcm(_key, TagSize);
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), EntryAad(key));
            _entries[key] = new SealedValue(nonce, sealedBytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public bool Remove(string key) => _entries.Remove(key);

    public byte[] Serialize()
    {
        using var body = new MemoryStream();
        using var aes = new AesGcm(_key, TagSize);
        body.Write(Seal(aes, _header));
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)_entries.Count);
        body.Write(number);
        foreach (var (key, value) in _entries)
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            BinaryPrimitives.WriteUInt16BigEndian(number, (ushort)keyBytes.Length);
            body.Write(number[..2]);
            body.Write(keyBytes);
            body.Write(value.Nonce);
            BinaryPrimitives.WriteUInt32BigEndian(number, (uint)(value.Bytes.Length - TagSize));
            body.Write(number);
            body.Write(value.Bytes);
        }

        var bodyBytes = body.ToArray();
        var trailer = Seal(aes, TrailerAad(_header, bodyBytes));
        var result = new byte[_header.Length + bodyBytes.Length + trailer.Length];
        _header.CopyTo(result, 0);
        bodyBytes.CopyTo(result, _header.Length);
        trailer.CopyTo(result, _header.Length + bodyBytes.Length);
        return result;
    }

    private byte[] EntryAad(string key)
    {
        var keyBytes = Encoding.UTF8.GetBytes(key);
        var aad = new byte[_header.Length + EntryLabel.Length + keyBytes.Length];
        _header.CopyTo(aad, 0);
        EntryLabel.CopyTo(aad.AsSpan(_header.Length));
        keyBytes.CopyTo(aad, _header.Length + EntryLabel.Length);
        return aad;
    }

    private static byte[] TrailerAad(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        var aad = new byte[header.Length + TrailerLabel.Length + SHA256.HashSizeInBytes];
        header.CopyTo(aad);
        TrailerLabel.CopyTo(aad.AsSpan(header.Length));
        SHA256.HashData(body, aad.AsSpan(header.Length + TrailerLabel.Length));
        return aad;
    }

    // An authenticated empty message: nonce || tag.
    private static byte[] Seal(AesGcm aes, ReadOnlySpan<byte> aad)
    {
        var output = new byte[NonceSize + TagSize];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
        aes.Encrypt(output.AsSpan(0, NonceSize), [], [], output.AsSpan(NonceSize), aad);
        return output;
    }

    private static bool TryAuthenticate(AesGcm aes, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
    {
        try
        {
            aes.Decrypt(nonce, [], tag, [], aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    private static CredentialException Corrupt(string path, string detail) =>
        new(CredentialErrorCodes.StoreCorrupt,
            $"the encrypted credential store '{path}' is damaged: {detail}",
            "restore the file from a backup (or move it aside to start over and re-set the credentials); " +
            "Carapace never resets it on its own");

    private sealed record SealedValue(byte[] Nonce, byte[] Bytes);
}
