namespace Carapace.Plugins.Packaging;

/// <summary>Where a package came from.</summary>
internal enum PackageSourceKind
{
    Archive,
    Directory,
}

/// <summary>
/// A package copied into a staging directory after every check passed. <see cref="Digest"/> was
/// computed from the bytes as they were written, and <see cref="Files"/> lists them (the signature
/// file included, when present, although it is not part of the digest).
/// </summary>
internal sealed record StagedPackage(
    string Directory,
    ContentDigest Digest,
    IReadOnlyList<PackageFile> Files,
    PackageSourceKind SourceKind)
{
    /// <summary>True when the package carries a <c>plugin.sig</c> at its root.</summary>
    public bool HasSignatureFile => Files.Any(f => f.Path == PackageLayout.SignatureFileName);

    /// <summary>Full path of the staged signature file, or null.</summary>
    public string? SignatureFilePath => HasSignatureFile ? Path.Combine(Directory, PackageLayout.SignatureFileName) : null;

    /// <summary>Sum of all file sizes.</summary>
    public long TotalBytes => Files.Sum(f => f.Size);
}
