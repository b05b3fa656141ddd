using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Carapace.Plugins.Packaging;

/// <summary>
/// The identity of a package's content: SHA-256 over a canonical listing of its files. It is what
/// <c>plugins-lock.yaml</c> pins and what a publisher signs. The archive bytes are not the identity:
/// two archives with the same files have the same digest, and signing an archive does not change it.
/// </summary>
/// <remarks>
/// The listing is the UTF-8 text
/// <code>
/// carapace-package-digest-v1\n
/// &lt;path&gt;\0&lt;size&gt;\0&lt;sha256&gt;\n      (one line per file)
/// </code>
/// with files sorted by ordinal comparison of their relative paths ('/' separators), sizes in decimal,
/// hashes in lowercase hex, and the root <c>plugin.sig</c> left out. Paths are printable ASCII
/// (<see cref="PackagePath"/>), so the listing is unambiguous and ordinal order equals byte order.
/// Directories are not listed: only files are content.
/// </remarks>
internal readonly record struct ContentDigest
{
    public const string ListingHeader = "carapace-package-digest-v1\n";

    private ContentDigest(string hex) => Hex = hex;

    /// <summary>64 lowercase hex characters.</summary>
    public string Hex { get; }

    public static ContentDigest FromBytes(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("a content digest is 32 bytes", nameof(sha256));
        }

        return new ContentDigest(Convert.ToHexStringLower(sha256));
    }

    /// <summary>Parses 64 hex characters (either case), optionally prefixed with <c>sha256:</c>.</summary>
    public static bool TryParse(string? text, out ContentDigest digest)
    {
        digest = default;
        if (text is null)
        {
            return false;
        }

        var hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text["sha256:".Length..] : text;
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        digest = new ContentDigest(hex.ToLowerInvariant());
        return true;
    }

    public static ContentDigest Parse(string text) =>
        TryParse(text, out var digest) ? digest : throw new FormatException("a content digest is 64 hex characters");

    /// <summary>Computes the digest of a set of files (in any order; the listing sorts them).</summary>
    public static ContentDigest Compute(IEnumerable<PackageFile> files)
    {
        var listing = new StringBuilder(ListingHeader);
        foreach (var file in files
                     .Where(f => !string.Equals(f.Path, PackageLayout.SignatureFileName, StringComparison.Ordinal))
                     .OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            listing.Append(file.Path).Append('\0')
                .Append(file.Size.ToString(CultureInfo.InvariantCulture)).Append('\0')
                .Append(file.Sha256).Append('\n');
        }

        return FromBytes(SHA256.HashData(Encoding.UTF8.GetBytes(listing.ToString())));
    }

    /// <summary>The raw 32 bytes, as signed by a publisher.</summary>
    public byte[] ToBytes() => Convert.FromHexString(Hex);

    public override string ToString() => Hex;

    public bool Equals(ContentDigest other) => string.Equals(Hex, other.Hex, StringComparison.Ordinal);

    public override int GetHashCode() => Hex is null ? 0 : StringComparer.Ordinal.GetHashCode(Hex);
}

/// <summary>One file of a package: canonical relative path, size and lowercase hex SHA-256.</summary>
internal sealed record PackageFile(string Path, long Size, string Sha256);
