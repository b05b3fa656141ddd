namespace Carapace.Storage;

/// <summary>
/// Makes renames and new files durable. A rename is on disk only once its directory entry is, and
/// .NET has no API for that: the directory is opened read-only and fsynced (a no-op on Windows, where
/// rename is journaled).
/// </summary>
internal static class Fsync
{
    public static void Directory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }
        catch (UnauthorizedAccessException)
        {
            // Some file systems refuse to open directories; the rename itself already happened.
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Flushes every regular file and directory under <paramref name="root"/> (links are not followed),
    /// then <paramref name="root"/> itself and its parent, so a tree moved into place survives a power loss
    /// complete before anything that points at it is written.
    /// </summary>
    public static void Tree(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in System.IO.Directory.EnumerateFiles(root, "*", options))
        {
            using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }

        foreach (var directory in System.IO.Directory.EnumerateDirectories(root, "*", options))
        {
            Directory(directory);
        }

        Directory(root);
        if (Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(root)) is { } parent)
        {
            Directory(parent);
        }
    }
}
