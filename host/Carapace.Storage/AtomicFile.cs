namespace Carapace.Storage;

/// <summary>
/// Crash-safe writes: the new content goes to a temporary file in the same directory, is fsynced,
/// then renamed over the target, and the directory is fsynced. A reader (or a restart after a crash)
/// sees either the old file or the new one, never a mixture. Files are created owner-only (0600).
/// </summary>
internal static class AtomicFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode mode = OwnerOnly)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' has no parent directory", nameof(path));
        var temp = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = mode;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, fullPath, overwrite: true);
            FsyncDirectory(directory);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static void WriteAllText(string path, string content, UnixFileMode mode = OwnerOnly) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    // A rename is durable only once the directory entry is on disk; .NET has no API for this, so
    // open the directory read-only and fsync it (a no-op on Windows, where rename is journaled).
    private static void FsyncDirectory(string directory)
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
}
