using System.IO.Compression;
using Carapace.Storage;

namespace Carapace.Plugins.Packaging;

/// <summary>
/// Writes a package archive deterministically: entries sorted by ordinal path, one fixed timestamp,
/// regular-file mode 0644 in the Unix attributes, no directory entries. The same files give the
/// same bytes on the same runtime (the deflate implementation may differ between runtimes; the
/// content digest, which is the package identity, does not).
/// </summary>
internal static class PackageWriter
{
    /// <summary>The timestamp of every entry (DOS time has no zone; this is read back as-is).</summary>
    public static readonly DateTimeOffset EntryTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const UnixFileMode ArchiveFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    // S_IFREG | 0644, stored in the high 16 bits of the external attributes.
    private const uint RegularFileAttributes = (0x8000u | 0x1A4u) << 16;

    /// <summary>
    /// Writes the files listed in <paramref name="files"/> (paths relative to <paramref name="root"/>)
    /// to <paramref name="outputPath"/>, atomically, replacing an existing file.
    /// </summary>
    public static long WriteArchive(string root, IEnumerable<string> files, string outputPath, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var path in files.OrderBy(p => p, StringComparer.Ordinal))
            {
                var entry = archive.CreateEntry(path, CompressionLevel.Optimal);
                entry.LastWriteTime = EntryTimestamp;
                entry.ExternalAttributes = unchecked((int)RegularFileAttributes);
                using var input = new FileStream(Path.Combine(root, path), FileMode.Open, FileAccess.Read, FileShare.Read);
                using var output = entry.Open();
                input.CopyTo(output);
            }
        }

        if (buffer.Length > limits.MaxArchiveBytes)
        {
            throw new PackageException(PackageErrorCodes.TooLarge,
                $"the archive would be {buffer.Length} bytes; the limit is {limits.MaxArchiveBytes}");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        AtomicFile.WriteAllBytes(outputPath, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ArchiveFileMode);
        return buffer.Length;
    }
}
