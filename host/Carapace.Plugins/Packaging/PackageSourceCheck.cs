namespace Carapace.Plugins.Packaging;

/// <summary>
/// Decides what a package path is before anything opens it. Opening a FIFO blocks until a writer
/// appears, and a device such as <c>/dev/zero</c> never ends: either would hang an install while it
/// holds the installer's lock. So the path is examined with lstat (no open) and only a regular file
/// (an archive) or a directory goes on. A symlink given as the package path is followed (operators name
/// packages through links), but its final target must pass the same test.
/// </summary>
internal static class PackageSourceCheck
{
    /// <summary><see cref="UnixFileType.Directory"/> or <see cref="UnixFileType.Regular"/>; anything else is refused.</summary>
    /// <exception cref="PackageException">Missing, special, or not examinable.</exception>
    public static UnixFileType Classify(string source, string fullPath)
    {
        if (!UnixFileStatusReader.IsSupported)
        {
            // No lstat here (Windows): FIFOs and devices do not appear under ordinary paths there.
            return Directory.Exists(fullPath) ? UnixFileType.Directory
                : File.Exists(fullPath) ? UnixFileType.Regular
                : throw new PackageException(PackageErrorCodes.NotFound, $"package '{source}' does not exist");
        }

        var type = Lstat(source, fullPath);
        if (type == UnixFileType.Symlink)
        {
            string? target;
            try
            {
                target = new FileInfo(fullPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            }
            catch (IOException ex)
            {
                throw new PackageException(PackageErrorCodes.IoError, $"package '{source}' is a symlink that cannot be resolved: {ex.Message}", null, ex);
            }

            type = target is null ? UnixFileType.Unknown : Lstat(source, target);
        }

        return type switch
        {
            UnixFileType.Directory or UnixFileType.Regular => type,
            _ => throw new PackageException(PackageErrorCodes.SpecialFile,
                $"package '{source}' is a {PackageReader.Describe(type)}, not a .zip archive or a plugin directory"),
        };
    }

    private static UnixFileType Lstat(string source, string path)
    {
        if (!Path.Exists(path) && !IsDanglingLink(path))
        {
            throw new PackageException(PackageErrorCodes.NotFound, $"package '{source}' does not exist");
        }

        try
        {
            return UnixFileStatusReader.TryLstat(path)!.Value.Type;
        }
        catch (IOException ex)
        {
            throw new PackageException(PackageErrorCodes.IoError, $"package '{source}' cannot be examined: {ex.Message}", null, ex);
        }
    }

    private static bool IsDanglingLink(string path) => new FileInfo(path).LinkTarget is not null;
}
