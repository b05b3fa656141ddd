namespace Carapace.Tools.Files;

/// <summary>
/// Opens only what is safe to open. A FIFO, socket or device is not a file to read: opening a FIFO
/// blocks in open(2) until some writer appears, uncancellable, and that pinned thread would keep the
/// plugin from unloading. A plugin may not P/Invoke lstat(2) and .NET exposes no file type beyond
/// file/directory/link, but on Linux every such entry reports a size of 0, so a zero-length entry is
/// never opened: an empty regular file has nothing to read anyway.
/// </summary>
internal static class SafeOpen
{
    public const string NotRegular = "is empty or not a regular file (a FIFO, socket or device); the files tool does not open those";

    /// <summary>True when <paramref name="info"/> is a non-empty file that is not a link (after <see cref="SafePaths.Resolve"/>).</summary>
    public static bool IsOpenable(FileInfo info)
    {
        info.Refresh();
        return info.Exists && info.LinkTarget is null && info.Length > 0;
    }
}
