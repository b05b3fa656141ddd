namespace Carapace.Plugins.Install;

/// <summary>Deletes files or directory trees of the managed layout (links are removed, never followed).</summary>
internal static class Tree
{
    /// <returns>True when something was there and is gone.</returns>
    public static bool Delete(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || File.Exists(path))
        {
            info.Delete();
            return true;
        }

        if (!Directory.Exists(path))
        {
            return false;
        }

        Directory.Delete(path, recursive: true);
        return true;
    }

    /// <summary>Best effort: a leftover is removed by the next start's recovery pass.</summary>
    public static void TryDelete(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
