namespace Carapace.Plugins.Packaging;

/// <summary>
/// Hard limits applied while reading a package. The defaults fit any reasonable plugin (a publish
/// folder with its dependencies) and bound what a hostile archive can make the host do.
/// </summary>
internal sealed record PackageLimits
{
    public static PackageLimits Default { get; } = new();

    /// <summary>Largest accepted archive file (the upstream contract's managed-plugin download cap).</summary>
    public long MaxArchiveBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>Most entries (files and directory entries) in a package.</summary>
    public int MaxEntries { get; init; } = 2000;

    /// <summary>Largest total of all file sizes once extracted.</summary>
    public long MaxTotalBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>Largest single file once extracted.</summary>
    public long MaxFileBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>
    /// Highest accepted ratio of uncompressed to compressed size for one entry. Deflate tops out near
    /// 1032:1 on constant data; real assemblies and resources compress 2–10:1.
    /// </summary>
    public int MaxCompressionRatio { get; init; } = 100;

    /// <summary>Entries smaller than this are not ratio-checked: tiny files of repeated bytes are harmless.</summary>
    public long CompressionRatioFloorBytes { get; init; } = 1024 * 1024;

    /// <summary>Longest relative path, in characters (all paths are ASCII).</summary>
    public int MaxPathLength { get; init; } = 512;

    /// <summary>Deepest directory nesting.</summary>
    public int MaxPathDepth { get; init; } = 32;
}
