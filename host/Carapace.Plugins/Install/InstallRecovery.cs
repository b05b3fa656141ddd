using Carapace.Plugins.Lock;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Install;

/// <summary>A managed plugin as the lock names it after recovery; <see cref="Problem"/> says why it cannot load.</summary>
internal sealed record RecoveredPlugin(PluginLockEntry Entry, string Directory, LoadProblem? Problem);

/// <summary>
/// The start-up pass that makes the managed tree say exactly what the lock says. The lock write is
/// the commit point of every change, so whatever a crash left behind is resolved by the lock alone:
/// <list type="bullet">
/// <item><c>.staging</c> is emptied (packages that were being checked).</item>
/// <item>A directory the lock does not name (another version of a plugin, a plugin the lock does not
/// list) is an install that never committed, or an uninstall that committed but did not finish
/// deleting: it is removed.</item>
/// <item>A same-version replacement interrupted before its commit left the old copy as
/// <c>&lt;version&gt;~replaced</c>: if the copy in place does not match the lock and the replaced one does,
/// the replaced one is put back.</item>
/// <item>A lock entry whose directory is missing is reported (the plugin fails with the reason; it is
/// never half-loaded).</item>
/// </list>
/// An unreadable lock changes nothing: without it nothing can be told apart, so nothing is deleted.
/// </summary>
internal static class InstallRecovery
{
    public static IReadOnlyList<RecoveredPlugin> Run(ManagedPluginStore store, ILogger logger)
    {
        var layout = store.Layout;
        if (!Directory.Exists(layout.Root))
        {
            return [];
        }

        PluginLock pluginLock;
        try
        {
            pluginLock = store.ReadLock();
        }
        catch (PluginLockException ex)
        {
            store.StartupLockError = ex.Message;
            logger.LogError("managed plugins are not loaded: {LockFile} cannot be read ({Error}); fix or restore it, nothing was changed",
                layout.LockPath, ex.Message);
            return [];
        }

        Remove(layout.Staging, "an interrupted install's staging directory", logger);
        var recovered = new List<RecoveredPlugin>();
        foreach (var entry in pluginLock.Plugins)
        {
            try
            {
                recovered.Add(Reconcile(layout, entry, logger));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                recovered.Add(new RecoveredPlugin(entry, layout.DirectoryOf(entry),
                    new LoadProblem(IntegrityCodes.Unreadable, $"recovering plugin '{entry.Id}' failed: {ex.Message}")));
            }
        }

        foreach (var child in new DirectoryInfo(layout.Root).EnumerateFileSystemInfos())
        {
            if (child.Name.StartsWith('.') || child.Name == Lock.PluginLockFile.FileName)
            {
                continue;
            }

            var entry = pluginLock.Find(child.Name);
            if (child is DirectoryInfo && (entry is null || entry.IsLinked))
            {
                Remove(child.FullName, "files of a plugin the lock file does not list", logger);
            }
        }

        return recovered;
    }

    private static RecoveredPlugin Reconcile(ManagedPluginLayout layout, PluginLockEntry entry, ILogger logger)
    {
        if (entry.LinkedDirectory is { } linked)
        {
            return new RecoveredPlugin(entry, linked, Directory.Exists(linked)
                ? null
                : new LoadProblem(IntegrityCodes.Missing, $"linked directory '{linked}' does not exist"));
        }

        var installed = layout.VersionDirectory(entry.Id, entry.Version);
        var replaced = layout.ReplacedDirectory(entry.Id, entry.Version);
        if (Directory.Exists(replaced))
        {
            if (Directory.Exists(installed) && PluginIntegrity.Check(installed, entry).IsIntact)
            {
                Remove(replaced, "the copy a committed replacement superseded", logger);
            }
            else if (PluginIntegrity.Check(replaced, entry).IsIntact)
            {
                Remove(installed, "a replacement copy that was never committed", logger);
                Directory.Move(replaced, installed);
                logger.LogWarning("recovery: restored {Directory}, the copy plugins-lock.yaml pins, after an interrupted replacement", installed);
            }
        }

        foreach (var other in Directory.Exists(layout.PluginDirectory(entry.Id))
                     ? new DirectoryInfo(layout.PluginDirectory(entry.Id)).EnumerateFileSystemInfos().ToList()
                     : [])
        {
            if (other.FullName != installed && other.FullName != replaced)
            {
                Remove(other.FullName, $"a version of '{entry.Id}' the lock file does not pin", logger);
            }
        }

        return new RecoveredPlugin(entry, installed, Directory.Exists(installed)
            ? null
            : new LoadProblem(IntegrityCodes.Missing, $"plugin '{entry.Id}' {entry.Version} is in {Lock.PluginLockFile.FileName} but '{installed}' does not exist"));
    }

    private static void Remove(string path, string what, ILogger logger)
    {
        try
        {
            if (Tree.Delete(path))
            {
                logger.LogWarning("recovery: removed {Path} ({What})", path, what);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError("recovery: cannot remove {Path} ({What}): {Error}", path, what, ex.Message);
        }
    }
}
