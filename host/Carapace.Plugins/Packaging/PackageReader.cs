using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using Carapace.Storage;

namespace Carapace.Plugins.Packaging;

/// <summary>
/// Stages a package (a <c>.zip</c> or a directory) into a fresh directory, refusing anything unsafe
/// before a byte of it lands: oversize or over-full archives, zip bombs, zip-slip paths, symlinks,
/// device files, duplicates. Every refusal is a <see cref="PackageException"/> with a stable code.
/// On failure nothing is left in the staging directory.
/// </summary>
/// <remarks>
/// The staged copy holds only regular files (0600) in owner-only directories (0700), created with
/// <see cref="FileMode.CreateNew"/> so nothing pre-existing can be followed or overwritten.
/// Empty directories are not materialised: only files are content.
/// </remarks>
internal static class PackageReader
{
    private const int CopyBufferSize = 81920;

    /// <summary>Stages <paramref name="source"/> (archive or directory) into <paramref name="stagingDirectory"/>.</summary>
    public static StagedPackage Stage(string source, string stagingDirectory, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        var fullSource = Path.GetFullPath(source);
        var kind = PackageSourceCheck.Classify(source, fullSource);
        try
        {
            return kind == UnixFileType.Directory
                ? StageDirectory(fullSource, stagingDirectory, limits)
                : StageArchive(fullSource, stagingDirectory, limits);
        }
        catch (UnauthorizedAccessException ex)
        {
            // Permission denied (or a file the kernel refuses to read): the operator's input, not a host fault.
            throw new PackageException(PackageErrorCodes.Unreadable, $"cannot read package '{source}': {ex.Message}", null, ex);
        }
        catch (IOException ex)
        {
            throw new PackageException(PackageErrorCodes.IoError, $"cannot read package '{source}': {ex.Message}", null, ex);
        }
    }

    /// <summary>Stages a zip archive.</summary>
    public static StagedPackage StageArchive(string archivePath, string stagingDirectory, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        var info = new FileInfo(archivePath);
        if (Directory.Exists(archivePath))
        {
            throw new PackageException(PackageErrorCodes.NotAFile, $"'{archivePath}' is a directory, not a .zip archive");
        }

        if (!info.Exists)
        {
            throw new PackageException(PackageErrorCodes.NotFound, $"package '{archivePath}' does not exist");
        }

        if (info.Length > limits.MaxArchiveBytes)
        {
            throw new PackageException(PackageErrorCodes.TooLarge,
                $"the archive is {info.Length} bytes; the limit is {limits.MaxArchiveBytes}");
        }

        using var stream = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > limits.MaxArchiveBytes)
        {
            // The file grew between the stat and the open.
            throw new PackageException(PackageErrorCodes.TooLarge,
                $"the archive is {stream.Length} bytes; the limit is {limits.MaxArchiveBytes}");
        }

        var declared = ZipDirectoryProbe.DeclaredEntryCount(stream);
        if (declared > limits.MaxEntries)
        {
            throw new PackageException(PackageErrorCodes.TooManyEntries,
                $"the archive declares {declared} entries; the limit is {limits.MaxEntries}");
        }

        stream.Seek(0, SeekOrigin.Begin);
        ZipArchive? archive = null;
        List<PlannedFile> plan;
        try
        {
            // ZipArchive reads the central directory lazily, so listing the entries can fail too.
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            plan = PlanArchive(archive, limits);
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or IOException or ArgumentException)
        {
            archive?.Dispose();
            throw new PackageException(PackageErrorCodes.Malformed, $"the archive is not a readable zip: {ex.Message}", null, ex);
        }

        using (archive)
        {
            return Extract(stagingDirectory, PackageSourceKind.Archive, plan, limits, entry =>
            {
                try
                {
                    return ((ZipArchiveEntry)entry).Open();
                }
                catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or IOException)
                {
                    throw new PackageException(PackageErrorCodes.Malformed,
                        $"entry '{((ZipArchiveEntry)entry).FullName}' cannot be read: {ex.Message}", null, ex);
                }
            });
        }
    }

    /// <summary>Stages (copies) a directory package.</summary>
    public static StagedPackage StageDirectory(string directory, string stagingDirectory, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        var plan = PackageDirectoryWalker.Walk(directory, limits);
        return Extract(stagingDirectory, PackageSourceKind.Directory, plan, limits,
            entry => new FileStream(((FileInfo)entry).FullName, FileMode.Open, FileAccess.Read, FileShare.Read));
    }

    private static List<PlannedFile> PlanArchive(ZipArchive archive, PackageLimits limits)
    {
        if (archive.Entries.Count > limits.MaxEntries)
        {
            throw new PackageException(PackageErrorCodes.TooManyEntries,
                $"the archive has {archive.Entries.Count} entries; the limit is {limits.MaxEntries}");
        }

        var set = new PackageEntrySet(limits);
        var files = new List<PlannedFile>();
        foreach (var entry in archive.Entries)
        {
            var rawName = entry.FullName;
            var isDirectory = rawName.EndsWith('/');
            var path = PackagePath.Validate(isDirectory ? rawName[..^1] : rawName, limits);
            CheckEntryType(entry, path, isDirectory);

            if (isDirectory)
            {
                if (entry.Length != 0)
                {
                    throw new PackageException(PackageErrorCodes.Malformed, $"directory entry '{path}/' has content", path);
                }

                set.AddDirectory(path);
                continue;
            }

            set.AddFile(path, entry.Length);
            CheckRatio(entry, path, limits);
            files.Add(new PlannedFile(path, entry.Length, entry));
        }

        RequireManifest(set);
        return files;
    }

    private static void CheckEntryType(ZipArchiveEntry entry, string path, bool isDirectory)
    {
        // Archives made on Unix keep st_mode in the high 16 bits of the external attributes;
        // archives made elsewhere leave them zero, which means "regular file or directory by name".
        var mode = (int)((uint)entry.ExternalAttributes >> 16);
        if (mode == 0)
        {
            return;
        }

        var type = UnixFileStatusReader.TypeOf(mode);
        switch (type)
        {
            case UnixFileType.Regular when !isDirectory:
            case UnixFileType.Directory when isDirectory:
                return;
            case UnixFileType.Symlink:
                throw new PackageException(PackageErrorCodes.Symlink,
                    $"entry '{path}' is a symbolic link; packages hold regular files only", path);
            case UnixFileType.Regular or UnixFileType.Directory:
                throw new PackageException(PackageErrorCodes.Malformed,
                    $"entry '{path}' is marked as a {(isDirectory ? "file" : "directory")} but named as a {(isDirectory ? "directory" : "file")}", path);
            default:
                throw new PackageException(PackageErrorCodes.SpecialFile,
                    $"entry '{path}' is a {Describe(type)}; packages hold regular files only", path);
        }
    }

    private static void CheckRatio(ZipArchiveEntry entry, string path, PackageLimits limits)
    {
        if (entry.Length < limits.CompressionRatioFloorBytes)
        {
            return;
        }

        if (entry.CompressedLength <= 0 || entry.Length / entry.CompressedLength >= limits.MaxCompressionRatio)
        {
            throw new PackageException(PackageErrorCodes.CompressionRatio,
                $"entry '{path}' expands from {entry.CompressedLength} to {entry.Length} bytes; the ratio limit is {limits.MaxCompressionRatio}:1", path);
        }
    }

    internal static void RequireManifest(PackageEntrySet set)
    {
        if (!set.ContainsFile(PackageLayout.ManifestFileName))
        {
            throw new PackageException(PackageErrorCodes.ManifestMissing,
                $"the package has no '{PackageLayout.ManifestFileName}' at its root (the name is case-sensitive)");
        }
    }

    private static StagedPackage Extract(
        string stagingDirectory, PackageSourceKind kind, List<PlannedFile> plan, PackageLimits limits, Func<object, Stream> open)
    {
        var target = Path.GetFullPath(stagingDirectory);
        var created = PrepareTarget(target);
        try
        {
            var files = new List<PackageFile>(plan.Count);
            long total = 0;
            foreach (var planned in plan.OrderBy(p => p.Path, StringComparer.Ordinal))
            {
                var destination = Path.Combine(target, planned.Path);
                EnsureParents(target, planned.Path);
                using var input = open(planned.Source);
                var file = CopyHashed(input, destination, planned, limits, ref total);
                files.Add(file);
            }

            return new StagedPackage(target, ContentDigest.Compute(files), files, kind);
        }
        catch
        {
            Clean(target, created);
            throw;
        }
    }

    private static PackageFile CopyHashed(Stream input, string destination, PlannedFile planned, PackageLimits limits, ref long total)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly.FileMode;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            using var output = new FileStream(destination, options);
            long written = 0;
            int read;
            while ((read = ReadSource(input, buffer, planned)) > 0)
            {
                written += read;
                total += read;
                // The header may lie about the size; never write more than it declared.
                if (written > planned.DeclaredSize)
                {
                    throw SizeMismatch(planned, written);
                }

                if (total > limits.MaxTotalBytes)
                {
                    throw new PackageException(PackageErrorCodes.UncompressedTooLarge,
                        $"the package expands to more than {limits.MaxTotalBytes} bytes", planned.Path);
                }

                hash.AppendData(buffer, 0, read);
                output.Write(buffer, 0, read);
            }

            if (written != planned.DeclaredSize)
            {
                throw SizeMismatch(planned, written);
            }

            output.Flush(flushToDisk: true);
            return new PackageFile(planned.Path, written, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Errors while reading the source are the package's fault (corrupt deflate data, bad CRC,
    // truncated archive); errors while writing the staged copy are the host's and propagate as they are.
    private static int ReadSource(Stream input, byte[] buffer, PlannedFile planned)
    {
        try
        {
            return input.Read(buffer, 0, buffer.Length);
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or IOException)
        {
            throw new PackageException(PackageErrorCodes.Malformed, $"entry '{planned.Path}' is corrupt: {ex.Message}", planned.Path, ex);
        }
    }

    private static PackageException SizeMismatch(PlannedFile planned, long actual) =>
        new(PackageErrorCodes.SizeMismatch,
            $"entry '{planned.Path}' declares {planned.DeclaredSize} bytes but holds {(actual > planned.DeclaredSize ? "more" : actual.ToString(System.Globalization.CultureInfo.InvariantCulture))}",
            planned.Path);

    private static bool PrepareTarget(string target)
    {
        var info = new DirectoryInfo(target);
        if (info.Exists)
        {
            if (info.LinkTarget is not null)
            {
                throw new PackageException(PackageErrorCodes.StagingNotEmpty, $"staging directory '{target}' is a symbolic link");
            }

            if (info.EnumerateFileSystemInfos().Any())
            {
                throw new PackageException(PackageErrorCodes.StagingNotEmpty, $"staging directory '{target}' is not empty");
            }

            return false;
        }

        if (File.Exists(target))
        {
            throw new PackageException(PackageErrorCodes.StagingNotEmpty, $"staging path '{target}' is a file");
        }

        OwnerOnly.EnsureDirectory(target);
        return true;
    }

    private static void EnsureParents(string target, string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        if (slash < 0)
        {
            return;
        }

        var current = target;
        foreach (var segment in relativePath[..slash].Split('/'))
        {
            current = Path.Combine(current, segment);
            if (!Directory.Exists(current))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(current);
                }
                else
                {
                    Directory.CreateDirectory(current, OwnerOnly.DirectoryMode);
                }
            }
        }
    }

    private static void Clean(string target, bool created)
    {
        try
        {
            if (created)
            {
                Directory.Delete(target, recursive: true);
                return;
            }

            foreach (var child in new DirectoryInfo(target).EnumerateFileSystemInfos())
            {
                if (child is DirectoryInfo dir && dir.LinkTarget is null)
                {
                    dir.Delete(recursive: true);
                }
                else
                {
                    child.Delete();
                }
            }
        }
        catch (IOException)
        {
            // Best effort: the caller's own rollback removes the staging root.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static string Describe(UnixFileType type) => type switch
    {
        UnixFileType.CharacterDevice => "character device",
        UnixFileType.BlockDevice => "block device",
        UnixFileType.Fifo => "FIFO (named pipe)",
        UnixFileType.Socket => "socket",
        UnixFileType.Symlink => "symbolic link",
        UnixFileType.Directory => "directory",
        UnixFileType.Regular => "regular file",
        _ => "file of unknown type",
    };
}

/// <summary>A file to copy: its canonical path, declared size and where to read it (zip entry or FileInfo).</summary>
internal sealed record PlannedFile(string Path, long DeclaredSize, object Source);
