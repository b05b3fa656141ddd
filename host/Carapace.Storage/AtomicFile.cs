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
            Fsync.Directory(directory);
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
}
