namespace Carapace.Plugins.Packaging;

/// <summary>
/// Stable values of <see cref="PackageException.Code"/>. Callers (the installer, the control API,
/// `cara`) may branch on them and show them to operators; they never change meaning.
/// </summary>
internal static class PackageErrorCodes
{
    /// <summary>The package path does not exist, or is neither a file nor a directory.</summary>
    public const string NotFound = "package_not_found";

    /// <summary>The archive file is larger than <see cref="PackageLimits.MaxArchiveBytes"/>.</summary>
    public const string TooLarge = "package_too_large";

    /// <summary>More entries than <see cref="PackageLimits.MaxEntries"/>.</summary>
    public const string TooManyEntries = "package_too_many_entries";

    /// <summary>One file is larger than <see cref="PackageLimits.MaxFileBytes"/>.</summary>
    public const string FileTooLarge = "package_file_too_large";

    /// <summary>All files together are larger than <see cref="PackageLimits.MaxTotalBytes"/>.</summary>
    public const string UncompressedTooLarge = "package_uncompressed_too_large";

    /// <summary>An entry expands far more than real data does (a zip bomb).</summary>
    public const string CompressionRatio = "package_compression_ratio";

    /// <summary>An entry inflates to a different size than its header declares.</summary>
    public const string SizeMismatch = "package_size_mismatch";

    /// <summary>A path with a <c>..</c> segment or a backslash (zip-slip).</summary>
    public const string PathTraversal = "package_path_traversal";

    /// <summary>A path starting with <c>/</c>, <c>//</c> or a drive letter.</summary>
    public const string AbsolutePath = "package_absolute_path";

    /// <summary>A path with an empty or <c>.</c> segment, a character outside the allowed set, or too long.</summary>
    public const string InvalidPath = "package_invalid_path";

    /// <summary>A symbolic link (zip entry with S_IFLNK, or a link inside a directory package).</summary>
    public const string Symlink = "package_symlink";

    /// <summary>A device, FIFO, socket or other non-regular file.</summary>
    public const string SpecialFile = "package_special_file";

    /// <summary>Two entries with the same path (compared case-insensitively), or a path used as file and directory.</summary>
    public const string DuplicateEntry = "package_duplicate_entry";

    /// <summary>Not a readable zip (corrupt, truncated, encrypted, unsupported compression).</summary>
    public const string Malformed = "package_malformed";

    /// <summary>No <c>plugin.yaml</c> at the package root.</summary>
    public const string ManifestMissing = "package_manifest_missing";

    /// <summary>The staging directory exists and is not empty.</summary>
    public const string StagingNotEmpty = "package_staging_not_empty";

    /// <summary>A directory was given where a <c>.zip</c> archive is expected.</summary>
    public const string NotAFile = "package_not_a_file";

    /// <summary>The package (or a file in it) cannot be read: permission denied.</summary>
    public const string Unreadable = "package_unreadable";

    /// <summary>Reading the package failed with an I/O error (or its path cannot be resolved, e.g. a symlink loop).</summary>
    public const string IoError = "package_io_error";
}
