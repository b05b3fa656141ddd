namespace Carapace.Tools.Files;

/// <summary>
/// Confines paths to the configured roots. A request path is refused when it contains a <c>..</c>
/// segment, is absolute outside every root, or resolves (following every symbolic link on the way)
/// to a location outside the root it was resolved against. .NET has no realpath(3); resolving links
/// component by component here avoids a P/Invoke, which plugins are not allowed.
/// </summary>
internal sealed class SafePaths
{
    private const int MaxLinkDepth = 40;
    private static readonly StringComparison PathComparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    public SafePaths(IEnumerable<string> roots)
    {
        Roots = roots
            .Where(r => !string.IsNullOrWhiteSpace(r))
            .Select(r => RealPath(Path.GetFullPath(r), 0))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Canonical roots (symbolic links resolved).</summary>
    public IReadOnlyList<string> Roots { get; }

    /// <summary>Resolves <paramref name="requested"/> to a canonical path inside a root.</summary>
    /// <exception cref="UnauthorizedAccessException">With the reason the path is refused.</exception>
    public (string Root, string FullPath) Resolve(string? requested)
    {
        if (Roots.Count == 0)
        {
            throw new UnauthorizedAccessException(Refusal.NoRoots);
        }

        if (string.IsNullOrEmpty(requested) || requested == ".")
        {
            return (Roots[0], Roots[0]);
        }

        if (requested.Contains('\0', StringComparison.Ordinal))
        {
            throw new UnauthorizedAccessException("path contains a NUL character");
        }

        if (requested.Split('/', '\\').Any(segment => segment == ".."))
        {
            throw new UnauthorizedAccessException("path must not contain '..'");
        }

        string root;
        string candidate;
        if (Path.IsPathRooted(requested))
        {
            candidate = Path.GetFullPath(requested);
            root = Roots.FirstOrDefault(r => IsWithin(candidate, r) || IsWithin(RealPath(candidate, 0), r))
                ?? throw new UnauthorizedAccessException("absolute path is outside the configured roots");
        }
        else
        {
            root = Roots[0];
            candidate = Path.GetFullPath(Path.Combine(root, requested));
        }

        var real = RealPath(candidate, 0);
        if (!IsWithin(real, root))
        {
            throw new UnauthorizedAccessException("path resolves outside the configured roots (symbolic link)");
        }

        return (root, real);
    }

    /// <summary>True when <paramref name="path"/> (canonical) is inside one of the roots.</summary>
    public bool IsInsideRoots(string path) => Roots.Any(r => IsWithin(RealPath(path, 0), r));

    public static bool IsWithin(string path, string root)
    {
        var trimmedRoot = Path.TrimEndingDirectorySeparator(root);
        var trimmedPath = Path.TrimEndingDirectorySeparator(path);
        return string.Equals(trimmedPath, trimmedRoot, PathComparison)
            || trimmedPath.StartsWith(trimmedRoot + Path.DirectorySeparatorChar, PathComparison)
            || (trimmedRoot.Length > 0 && trimmedRoot[^1] == Path.DirectorySeparatorChar && trimmedPath.StartsWith(trimmedRoot, PathComparison));
    }

    /// <summary>The path with every symbolic link resolved; components that do not exist are kept as they are.</summary>
    private static string RealPath(string fullPath, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new UnauthorizedAccessException("too many levels of symbolic links");
        }

        var root = Path.GetPathRoot(fullPath) ?? "/";
        var current = root;
        var parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is { } target)
            {
                var resolved = Path.GetFullPath(target, current);
                current = RealPath(resolved, depth + 1);
            }
            else
            {
                current = next;
            }
        }

        return current;
    }
}
