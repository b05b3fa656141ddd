namespace Carapace.Plugins.Packaging;

/// <summary>
/// Collects the entries of one package while enforcing the count and size limits, refusing
/// duplicates (case-insensitive) and paths used both as a file and as a directory.
/// </summary>
internal sealed class PackageEntrySet
{
    private readonly PackageLimits _limits;
    private readonly HashSet<string> _fileKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directoryKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directoryEntryKeys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private int _count;

    public PackageEntrySet(PackageLimits limits) => _limits = limits;

    /// <summary>Sum of the declared sizes of all files so far.</summary>
    public long TotalBytes { get; private set; }

    /// <summary>True when a file with exactly this (case-sensitive) path was added.</summary>
    public bool ContainsFile(string path) => _files.Contains(path);

    public void AddFile(string path, long declaredSize)
    {
        CountEntry();
        if (declaredSize < 0)
        {
            throw new PackageException(PackageErrorCodes.Malformed, $"entry '{path}' declares a negative size", path);
        }

        if (declaredSize > _limits.MaxFileBytes)
        {
            throw new PackageException(PackageErrorCodes.FileTooLarge,
                $"file '{path}' is {declaredSize} bytes; the limit is {_limits.MaxFileBytes}", path);
        }

        TotalBytes += declaredSize;
        if (TotalBytes > _limits.MaxTotalBytes)
        {
            throw new PackageException(PackageErrorCodes.UncompressedTooLarge,
                $"the package expands to more than {_limits.MaxTotalBytes} bytes", path);
        }

        var key = PackagePath.CollisionKey(path);
        if (!_fileKeys.Add(key))
        {
            throw new PackageException(PackageErrorCodes.DuplicateEntry,
                $"entry '{path}' appears more than once (names are compared case-insensitively)", path);
        }

        if (_directoryKeys.Contains(key))
        {
            throw Conflict(path);
        }

        AddParents(path);
        _files.Add(path);
    }

    public void AddDirectory(string path)
    {
        CountEntry();
        var key = PackagePath.CollisionKey(path);
        if (!_directoryEntryKeys.Add(key))
        {
            throw new PackageException(PackageErrorCodes.DuplicateEntry,
                $"directory entry '{path}/' appears more than once (names are compared case-insensitively)", path);
        }

        if (_fileKeys.Contains(key))
        {
            throw Conflict(path);
        }

        _directoryKeys.Add(key);
        AddParents(path);
    }

    private void AddParents(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            var parentKey = PackagePath.CollisionKey(path[..slash]);
            if (_fileKeys.Contains(parentKey))
            {
                throw Conflict(path[..slash]);
            }

            _directoryKeys.Add(parentKey);
        }
    }

    private void CountEntry()
    {
        if (++_count > _limits.MaxEntries)
        {
            throw new PackageException(PackageErrorCodes.TooManyEntries,
                $"the package has more than {_limits.MaxEntries} entries");
        }
    }

    private static PackageException Conflict(string path) =>
        new(PackageErrorCodes.DuplicateEntry, $"'{path}' is used both as a file and as a directory", path);
}
