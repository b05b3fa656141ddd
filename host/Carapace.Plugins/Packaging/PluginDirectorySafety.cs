namespace Carapace.Plugins.Packaging;

/// <summary>Stable codes of <see cref="DirectoryProblem.Code"/>.</summary>
internal static class DirectorySafetyCodes
{
    /// <summary>The plugin directory does not exist.</summary>
    public const string Missing = "directory_missing";

    /// <summary>The plugin directory is not inside the plugins root.</summary>
    public const string OutsideRoot = "directory_outside_root";

    /// <summary>A directory (the plugin's, a parent up to the plugins root, or one inside) or a file is world-writable.</summary>
    public const string WorldWritable = "directory_world_writable";

    /// <summary>Owned by a user other than the one running Carapace and other than root.</summary>
    public const string ForeignOwner = "directory_foreign_owner";

    /// <summary>A symbolic link inside the plugin directory resolves outside it.</summary>
    public const string SymlinkEscape = "directory_symlink_escape";

    /// <summary>A FIFO, device or socket inside the plugin directory.</summary>
    public const string SpecialFile = "directory_special_file";

    /// <summary>The directory (or something in it) cannot be examined: permission denied or another I/O error.</summary>
    public const string Unreadable = "directory_unreadable";

    /// <summary>Ownership cannot be checked on this platform (reported, not fatal).</summary>
    public const string OwnerCheckUnavailable = "directory_owner_check_unavailable";
}

/// <summary>One reason a plugin directory is unsafe to load from.</summary>
internal sealed record DirectoryProblem(string Code, string Path, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The result of <see cref="PluginDirectorySafety.Check(string, string)"/>.</summary>
internal sealed record DirectorySafetyReport(IReadOnlyList<DirectoryProblem> Problems, IReadOnlyList<DirectoryProblem> Warnings)
{
    public bool IsSafe => Problems.Count == 0;
}

/// <summary>
/// Refuses to load plugin code from a place someone else could change: a plugin directory (or any
/// directory between it and the plugins root) that is world-writable or owned by another user
/// (root is accepted), a world-writable or foreign-owned file inside it, a symbolic link inside it
/// that resolves outside it, or a FIFO/device/socket inside it.
/// </summary>
/// <remarks>
/// Parents above the plugins root are not checked: <c>/tmp</c> and similar sticky world-writable
/// directories are normal there, and the state directory itself is kept 0700 by Carapace.Storage.
/// Ownership needs lstat, which .NET does not expose; see <see cref="UnixFileStatusReader"/>. Where it
/// is unavailable (non-Linux), the check reports a warning and still applies the mode and link rules.
/// Windows relies on the profile directory's ACLs and only the link rule applies.
/// </remarks>
internal static class PluginDirectorySafety
{
    private const UnixFileMode OtherWrite = UnixFileMode.OtherWrite;

    /// <summary>Checks a linked development directory on its own (it is its own root).</summary>
    public static DirectorySafetyReport Check(string pluginDirectory) => Check(pluginDirectory, pluginDirectory);

    /// <summary>Checks <paramref name="pluginDirectory"/>, its parents up to <paramref name="pluginsRoot"/>, and everything inside it.</summary>
    public static DirectorySafetyReport Check(string pluginsRoot, string pluginDirectory) =>
        Check(pluginsRoot, pluginDirectory, static path => new DirectoryInfo(path).EnumerateFileSystemInfos());

    /// <summary>
    /// As <see cref="Check(string, string)"/>, listing directories with <paramref name="list"/> (tests provoke
    /// I/O errors through it). A directory that cannot be examined is unsafe, reported as
    /// <see cref="DirectorySafetyCodes.Unreadable"/>: the caller fails the plugin with the reason instead of crashing.
    /// </summary>
    internal static DirectorySafetyReport Check(string pluginsRoot, string pluginDirectory, Func<string, IEnumerable<FileSystemInfo>> list)
    {
        try
        {
            return Examine(pluginsRoot, pluginDirectory, list);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(pluginDirectory));
            return new([new(DirectorySafetyCodes.Unreadable, directory, $"cannot check plugin directory '{directory}': {ex.Message}")], []);
        }
    }

    private static DirectorySafetyReport Examine(string pluginsRoot, string pluginDirectory, Func<string, IEnumerable<FileSystemInfo>> list)
    {
        var problems = new List<DirectoryProblem>();
        var warnings = new List<DirectoryProblem>();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(pluginsRoot));
        var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(pluginDirectory));

        if (!Directory.Exists(directory))
        {
            problems.Add(new(DirectorySafetyCodes.Missing, directory, $"plugin directory '{directory}' does not exist"));
            return new(problems, warnings);
        }

        if (!PathContainment.IsInside(root, directory))
        {
            problems.Add(new(DirectorySafetyCodes.OutsideRoot, directory, $"'{directory}' is not inside the plugins directory '{root}'"));
            return new(problems, warnings);
        }

        // A link between the root and the plugin directory could point anywhere: compare real paths too.
        var realRoot = PathContainment.Resolve(root);
        var realDirectory = PathContainment.Resolve(directory);
        if (!PathContainment.IsInside(realRoot, realDirectory))
        {
            problems.Add(new(DirectorySafetyCodes.OutsideRoot, directory,
                $"'{directory}' resolves to '{realDirectory}', outside the plugins directory '{realRoot}'"));
            return new(problems, warnings);
        }

        var currentUid = UnixFileStatusReader.EffectiveUid();
        if (currentUid is null && !OperatingSystem.IsWindows())
        {
            warnings.Add(new(DirectorySafetyCodes.OwnerCheckUnavailable, directory,
                "file ownership cannot be checked on this platform; only permissions and links were checked"));
        }

        // The plugin directory and each parent up to and including the plugins root, as real paths:
        // a link's own mode bits (always 0777) say nothing, the directory it leads to does.
        for (var current = realDirectory; ; current = Path.GetDirectoryName(current)!)
        {
            CheckEntry(current, isDirectory: true, currentUid, problems);
            if (string.Equals(current, realRoot, StringComparison.Ordinal) || Path.GetDirectoryName(current) is null)
            {
                break;
            }
        }

        var pending = new Stack<string>();
        pending.Push(realDirectory);
        while (pending.Count > 0)
        {
            foreach (var child in list(pending.Pop()))
            {
                if (child.LinkTarget is not null)
                {
                    CheckLink(child, realDirectory, problems);
                    continue;
                }

                var isDirectory = child is DirectoryInfo;
                CheckEntry(child.FullName, isDirectory, currentUid, problems);
                if (isDirectory)
                {
                    pending.Push(child.FullName);
                }
            }
        }

        return new(problems, warnings);
    }

    private static void CheckEntry(string path, bool isDirectory, uint? currentUid, List<DirectoryProblem> problems)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var what = isDirectory ? "directory" : "file";
        var status = UnixFileStatusReader.TryLstat(path);
        var mode = status?.Mode ?? File.GetUnixFileMode(path);
        if ((mode & OtherWrite) != 0)
        {
            problems.Add(new(DirectorySafetyCodes.WorldWritable, path, $"{what} '{path}' is world-writable"));
        }

        if (status is not { } s)
        {
            return;
        }

        if (!isDirectory && s.Type is not UnixFileType.Regular)
        {
            problems.Add(new(DirectorySafetyCodes.SpecialFile, path, $"'{path}' is a {PackageReader.Describe(s.Type)}"));
        }

        if (currentUid is { } uid && s.OwnerUid != uid && s.OwnerUid != 0)
        {
            problems.Add(new(DirectorySafetyCodes.ForeignOwner, path,
                $"{what} '{path}' is owned by uid {s.OwnerUid}, not by this user (uid {uid}) or root"));
        }
    }

    private static void CheckLink(FileSystemInfo link, string realDirectory, List<DirectoryProblem> problems)
    {
        string? target;
        try
        {
            target = PathContainment.Resolve(link.FullName);
        }
        catch (IOException)
        {
            target = null;
        }

        if (target is null || !PathContainment.IsInside(realDirectory, target))
        {
            problems.Add(new(DirectorySafetyCodes.SymlinkEscape, link.FullName,
                $"'{link.FullName}' is a symbolic link to '{link.LinkTarget}', outside the plugin directory"));
        }
    }
}
