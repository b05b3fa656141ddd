namespace Carapace.Storage;

/// <summary>Creates and checks owner-only directories (0700) and files (0600).</summary>
internal static class OwnerOnly
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="path"/> as 0700 if missing; tightens it to 0700 if it is wider.
    /// Refuses a symlink, because following one would let another user redirect our state.
    /// </summary>
    public static DirectoryInfo EnsureDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        if (info.Exists && info.LinkTarget is not null)
        {
            throw new IOException($"'{path}' is a symbolic link; refusing to use it as a private directory");
        }

        if (!info.Exists)
        {
            info = OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(path)
                : Directory.CreateDirectory(path, DirectoryMode);
        }

        if (!OperatingSystem.IsWindows() && (info.UnixFileMode & GroupOrOther) != 0)
        {
            info.UnixFileMode = DirectoryMode;
        }

        return info;
    }

    /// <summary>True when group or other have any permission on the file or directory.</summary>
    public static bool IsWiderThanOwner(string path) =>
        !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0;

    /// <summary>Sets a file to 0600 (no-op on Windows, where ACLs of the profile directory apply).</summary>
    public static void TightenFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }
}
