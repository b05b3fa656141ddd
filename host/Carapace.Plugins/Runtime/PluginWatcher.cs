using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// <c>plugins:watch</c>: one <see cref="FileSystemWatcher"/> per plugin folder; a burst of changes
/// (a build writing several files) becomes one reload after a quiet period.
/// </summary>
internal sealed class PluginWatcher(TimeSpan debounce, TimeProvider time, Action<string> reload, ILogger logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, (FileSystemWatcher Watcher, ITimer Timer)> _watchers = new(StringComparer.Ordinal);

    /// <summary>Starts watching <paramref name="directory"/> for plugin <paramref name="id"/>.</summary>
    /// <exception cref="IOException">The watch could not be set up (e.g. the inotify instance or watch limit is reached).</exception>
    public void Watch(string id, string directory)
    {
        if (!Directory.Exists(directory) || _watchers.ContainsKey(id))
        {
            return;
        }

        ITimer timer;
        using (ExecutionContext.SuppressFlow())
        {
            timer = time.CreateTimer(_ => reload(id), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
        };
        FileSystemEventHandler changed = (_, _) => timer.Change(debounce, Timeout.InfiniteTimeSpan);
        watcher.Changed += changed;
        watcher.Created += changed;
        watcher.Deleted += changed;
        watcher.Renamed += (_, _) => timer.Change(debounce, Timeout.InfiniteTimeSpan);
        watcher.Error += (_, e) => logger.LogWarning("watching plugin {PluginId} failed: {Error}", id, e.GetException().Message);
        try
        {
            watcher.EnableRaisingEvents = true;
        }
        catch
        {
            watcher.Dispose();
            timer.Dispose();
            throw;
        }

        _watchers[id] = (watcher, timer);
    }

    public void Dispose()
    {
        foreach (var (_, (watcher, timer)) in _watchers)
        {
            watcher.Dispose();
            timer.Dispose();
        }

        _watchers.Clear();
    }
}
