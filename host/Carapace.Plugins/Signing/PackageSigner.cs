using Carapace.Plugins.Packaging;
using Carapace.Storage;

namespace Carapace.Plugins.Signing;

/// <summary>
/// `cara plugins pack` and `cara plugins sign`. Both go through <see cref="PackageReader"/> first, so
/// a publisher can only produce (and sign) a package that an installer would accept, and the zip and
/// the digest come from the same snapshot of the files.
/// </summary>
internal static class PackageSigner
{
    /// <summary>Builds a deterministic archive from a directory package, optionally signed.</summary>
    public static PackResult Pack(string sourceDirectory, string outputZip, SigningKey? key = null, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        if (!Directory.Exists(sourceDirectory))
        {
            throw new PackageException(PackageErrorCodes.NotFound, $"directory '{sourceDirectory}' does not exist");
        }

        using var scratch = new ScratchDirectory();
        var staged = PackageReader.StageDirectory(sourceDirectory, scratch.Path, limits);
        return Finish(staged, outputZip, key, limits);
    }

    /// <summary>Signs an existing archive in place (rewritten deterministically; the digest does not change).</summary>
    public static PackResult SignArchive(string archivePath, SigningKey key, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        using var scratch = new ScratchDirectory();
        var staged = PackageReader.StageArchive(archivePath, scratch.Path, limits);
        return Finish(staged, archivePath, key, limits);
    }

    /// <summary>Signs a directory package in place by writing <c>plugin.sig</c> at its root.</summary>
    public static PackageSignature SignDirectory(string directory, SigningKey key, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        PackageDirectoryWalker.Walk(directory, limits);
        var (digest, _) = PackageDirectoryWalker.ComputeDigest(directory, limits);
        var signature = key.Sign(digest);
        AtomicFile.WriteAllBytes(Path.Combine(directory, PackageLayout.SignatureFileName), signature.ToBytes(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return signature;
    }

    private static PackResult Finish(StagedPackage staged, string outputZip, SigningKey? key, PackageLimits limits)
    {
        PackageSignature? signature = null;
        var files = staged.Files.Select(f => f.Path).ToList();
        if (key is not null)
        {
            signature = key.Sign(staged.Digest);
            var signaturePath = Path.Combine(staged.Directory, PackageLayout.SignatureFileName);
            AtomicFile.WriteAllBytes(signaturePath, signature.ToBytes());
            if (!files.Contains(PackageLayout.SignatureFileName))
            {
                files.Add(PackageLayout.SignatureFileName);
            }
        }

        var size = PackageWriter.WriteArchive(staged.Directory, files, outputZip, limits);
        return new PackResult(Path.GetFullPath(outputZip), staged.Digest, size, files.Count, signature);
    }

    private sealed class ScratchDirectory : IDisposable
    {
        public ScratchDirectory() =>
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "carapace-pack-" + Guid.NewGuid().ToString("N"));

        public string Path { get; }

        public void Dispose()
        {
            try
            {
                if (Directory.Exists(Path))
                {
                    Directory.Delete(Path, recursive: true);
                }
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>What `cara plugins pack|sign` produced.</summary>
internal sealed record PackResult(string ArchivePath, ContentDigest Digest, long ArchiveBytes, int FileCount, PackageSignature? Signature);
