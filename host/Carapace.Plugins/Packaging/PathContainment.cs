namespace Carapace.Plugins.Packaging;

/// <summary>Lexical and link-resolving containment checks for paths.</summary>
internal static class PathContainment
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>True when <paramref name="candidate"/> is <paramref name="root"/> or below it (lexically, after GetFullPath).</summary>
    public static bool IsInside(string root, string candidate)
    {
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var fullCandidate = Path.TrimEndingDirectorySeparator(Path.GetFullPath(candidate));
        if (string.Equals(fullRoot, fullCandidate, PathComparison))
        {
            return true;
        }

        var prefix = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        return fullCandidate.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// The path with every symbolic link resolved, component by component (what realpath(3) does;
    /// .NET only resolves the final component). Missing trailing components are kept as they are.
    /// </summary>
    public static string Resolve(string path)
    {
        var pending = new Queue<string>(SplitComponents(Path.GetFullPath(path), out var current));
        var hops = 0;
        while (pending.Count > 0)
        {
            var next = Path.Combine(current, pending.Dequeue());
            var linkTarget = new FileInfo(next).LinkTarget;
            if (linkTarget is null)
            {
                current = next;
                continue;
            }

            if (++hops > 40)
            {
                throw new IOException($"too many levels of symbolic links resolving '{path}'");
            }

            var target = Path.IsPathRooted(linkTarget) ? linkTarget : Path.Combine(current, linkTarget);
            var rest = pending.ToArray();
            pending = new Queue<string>(SplitComponents(Path.GetFullPath(target), out current).Concat(rest));
        }

        return current;
    }

    private static IEnumerable<string> SplitComponents(string fullPath, out string root)
    {
        root = Path.GetPathRoot(fullPath) ?? Path.DirectorySeparatorChar.ToString();
        return fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
    }
}
