using System.Text;
using Carapace.Storage;

namespace Carapace.Plugins.Signing;

/// <summary>
/// Key files for `cara keys generate` and `--sign-key`. The private key file is
/// <code>
/// carapace-ed25519-private-v1
/// &lt;base64 of the 32-byte Ed25519 seed&gt;
/// </code>
/// created 0600 and never overwritten; <c>KEYFILE.pub</c> is
/// <code>
/// carapace-ed25519-public-v1
/// &lt;64 hex: the public key, as listed in plugins.signature.trustedPublishers&gt;
/// </code>
/// Reading a private key refuses a file that group or others can access, as ssh does.
/// </summary>
internal static class SigningKeyFile
{
    public const string PrivateHeader = "carapace-ed25519-private-v1";
    public const string PublicHeader = "carapace-ed25519-public-v1";
    public const string PublicSuffix = ".pub";
    private const int MaxKeyFileBytes = 1024;

    private const UnixFileMode PublicFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Creates a new key pair at <paramref name="path"/> and <c>path.pub</c>; refuses to overwrite either.</summary>
    public static PublisherKey Generate(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var publicPath = fullPath + PublicSuffix;
        foreach (var existing in new[] { fullPath, publicPath })
        {
            if (File.Exists(existing) || Directory.Exists(existing) || new FileInfo(existing).LinkTarget is not null)
            {
                throw new SigningException(SigningErrorCodes.KeyExists, $"'{existing}' already exists; refusing to overwrite a key file");
            }
        }

        using var key = SigningKey.Generate();
        var seed = key.ExportSeed();
        var text = Encoding.ASCII.GetBytes($"{PrivateHeader}\n{Convert.ToBase64String(seed)}\n");
        try
        {
            WriteNew(fullPath, text, OwnerOnly.FileMode);
        }
        finally
        {
            SigningKey.Wipe(seed);
            SigningKey.Wipe(text);
        }

        WriteNew(publicPath, Encoding.ASCII.GetBytes($"{PublicHeader}\n{key.PublicKey.Hex}\n"), PublicFileMode);
        return key.PublicKey;
    }

    /// <summary>Loads a private key file.</summary>
    public static SigningKey Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new SigningException(SigningErrorCodes.KeyNotFound, $"key file '{path}' does not exist");
        }

        if (OwnerOnly.IsWiderThanOwner(fullPath))
        {
            throw new SigningException(SigningErrorCodes.KeyPermissions,
                $"key file '{path}' is accessible by group or others; run 'chmod 600 {path}'");
        }

        var bytes = ReadSmall(fullPath);
        try
        {
            var lines = Encoding.ASCII.GetString(bytes).Split('\n');
            if (lines.Length is < 2 or > 3 || lines[0] != PrivateHeader || (lines.Length == 3 && lines[2].Length != 0))
            {
                throw Malformed(path, $"expected '{PrivateHeader}' and one base64 line");
            }

            byte[] seed;
            try
            {
                seed = Convert.FromBase64String(lines[1]);
            }
            catch (FormatException)
            {
                throw Malformed(path, "the key line is not base64");
            }

            try
            {
                return seed.Length == 32 ? SigningKey.FromSeed(seed) : throw Malformed(path, "the key is not 32 bytes");
            }
            finally
            {
                SigningKey.Wipe(seed);
            }
        }
        finally
        {
            SigningKey.Wipe(bytes);
        }
    }

    /// <summary>Reads a public key file (<c>KEYFILE.pub</c>), or a file holding only the hex key.</summary>
    public static PublisherKey LoadPublic(string path)
    {
        if (!File.Exists(path))
        {
            throw new SigningException(SigningErrorCodes.KeyNotFound, $"key file '{path}' does not exist");
        }

        var lines = Encoding.ASCII.GetString(ReadSmall(path)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var hex = lines switch
        {
            [var only] => only,
            [PublicHeader, var key] => key,
            _ => null,
        };
        return PublisherKey.TryParse(hex, out var publisher)
            ? publisher
            : throw Malformed(path, $"expected '{PublicHeader}' and 64 hex characters");
    }

    private static byte[] ReadSmall(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxKeyFileBytes)
        {
            throw Malformed(path, "the file is too large to be a key");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    // AtomicFile replaces the target; a key must never replace anything, so the temp file is linked
    // into place with File.Move(overwrite: false), which fails if the name appeared meanwhile.
    private static void WriteNew(string path, byte[] content, UnixFileMode mode)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                throw new SigningException(SigningErrorCodes.KeyExists, $"'{path}' already exists; refusing to overwrite a key file");
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static SigningException Malformed(string path, string detail) =>
        new(SigningErrorCodes.KeyMalformed, $"key file '{path}' is malformed: {detail}");
}
