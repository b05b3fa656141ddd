using System.Security.Cryptography;

namespace Carapace.Plugins.Packaging;

/// <summary>
/// Lists the files of a directory package (or an installed plugin directory) under the same rules as
/// an archive: canonical paths, limits, no duplicates. Symbolic links are refused whether or not they
/// escape (a package is data to copy, and <c>dotnet publish</c> never produces links); so are FIFOs,
/// devices and sockets, which are detected with lstat where the platform allows it
/// (<see cref="UnixFileStatusReader"/>) so that reading a FIFO can never block the host.
/// </summary>
internal static class PackageDirectoryWalker
{
    /// <summary>Lists the files to copy; requires <c>plugin.yaml</c> at the root.</summary>
    public static List<PlannedFile> Walk(string root, PackageLimits limits, bool requireManifest = true)
    {
        var rootInfo = new DirectoryInfo(root);
        if (!rootInfo.Exists)
        {
            throw new PackageException(PackageErrorCodes.NotFound, $"directory '{root}' does not exist");
        }

        var set = new PackageEntrySet(limits);
        var files = new List<PlannedFile>();
        var pending = new Stack<(DirectoryInfo Directory, string Prefix)>();
        pending.Push((rootInfo, string.Empty));
        while (pending.Count > 0)
        {
            var (directory, prefix) = pending.Pop();
            foreach (var child in directory.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                var path = PackagePath.Validate(prefix + child.Name, limits);
                if (child.LinkTarget is not null)
                {
                    throw new PackageException(PackageErrorCodes.Symlink, DescribeLink(rootInfo.FullName, child, path), path);
                }

                if (child is DirectoryInfo subdirectory)
                {
                    set.AddDirectory(path);
                    pending.Push((subdirectory, path + "/"));
                    continue;
                }

                var status = UnixFileStatusReader.TryLstat(child.FullName);
                if (status is { } s && s.Type != UnixFileType.Regular)
                {
                    var code = s.Type == UnixFileType.Symlink ? PackageErrorCodes.Symlink : PackageErrorCodes.SpecialFile;
                    throw new PackageException(code,
                        $"'{path}' is a {PackageReader.Describe(s.Type)}; packages hold regular files only", path);
                }

                var file = (FileInfo)child;
                set.AddFile(path, file.Length);
                files.Add(new PlannedFile(path, file.Length, file));
            }
        }

        if (requireManifest)
        {
            PackageReader.RequireManifest(set);
        }

        return files;
    }

    /// <summary>
    /// Recomputes the content digest of a directory in place (no copy): the check run at every load
    /// against the digest pinned in the lock file.
    /// </summary>
    public static (ContentDigest Digest, IReadOnlyList<PackageFile> Files) ComputeDigest(string root, PackageLimits? limits = null)
    {
        limits ??= PackageLimits.Default;
        var files = new List<PackageFile>();
        long total = 0;
        foreach (var planned in Walk(root, limits, requireManifest: false))
        {
            using var stream = new FileStream(((FileInfo)planned.Source).FullName, FileMode.Open, FileAccess.Read, FileShare.Read);
            var hash = SHA256.HashData(stream);
            total += stream.Length;
            if (total > limits.MaxTotalBytes)
            {
                throw new PackageException(PackageErrorCodes.UncompressedTooLarge,
                    $"the directory holds more than {limits.MaxTotalBytes} bytes", planned.Path);
            }

            files.Add(new PackageFile(planned.Path, stream.Length, Convert.ToHexStringLower(hash)));
        }

        return (ContentDigest.Compute(files), files);
    }

    private static string DescribeLink(string root, FileSystemInfo link, string path)
    {
        string where;
        try
        {
            var target = link.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            where = target is not null && PathContainment.IsInside(root, target)
                ? "a symbolic link"
                : "a symbolic link that escapes the package directory";
        }
        catch (IOException)
        {
            where = "a symbolic link that cannot be resolved";
        }

        return $"'{path}' is {where}; packages hold regular files only";
    }
}
