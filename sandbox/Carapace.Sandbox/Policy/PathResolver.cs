namespace Carapace.Sandbox.Policy;

/// <summary>
/// realpath(3) in managed code for the backends without a usable libc one (macOS exports it under a
/// versioned symbol, Windows has none; the BCL resolves only the last link of a path). Every symbolic
/// link (and junction) on the way is resolved; null when the path does not exist or links loop.
/// The Linux backend uses libc's realpath; tests check that both agree.
/// </summary>
internal static class PathResolver
{
    private const int MaxLinks = 40; // Linux's MAXSYMLINKS

    public static string? RealPath(string path)
    {
        // No lexical normalisation of '..': like realpath(3), it applies to the resolved parent.
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal) || !Path.IsPathFullyQualified(path))
        {
            return null;
        }

        var full = path;

        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Components(full).Reverse());
        var links = 0;
        while (pending.TryPop(out var name))
        {
            if (name == ".")
            {
                continue;
            }

            if (name == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Combine(current, name);
            FileSystemInfo info = new FileInfo(next);
            if (!info.Exists)
            {
                info = new DirectoryInfo(next);
                if (!info.Exists)
                {
                    return null;
                }
            }

            string? target;
            try
            {
                target = info.LinkTarget;
            }
            catch (IOException)
            {
                return null;
            }

            if (target is null)
            {
                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            // Walk the link's target in place of this component; a relative one starts from the link's directory.
            if (Path.IsPathFullyQualified(target))
            {
                current = Path.GetPathRoot(target)!;
            }

            foreach (var part in Components(target).Reverse())
            {
                pending.Push(part);
            }
        }

        return current;
    }

    private static IEnumerable<string> Components(string path)
    {
        var root = Path.GetPathRoot(path) ?? string.Empty;
        return path[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
    }
}
