using System.Collections.Concurrent;

namespace Carapace.Sandbox.Running;

/// <summary>Every process group (and per-run uid) still alive, so shutdown can kill them all.</summary>
internal sealed class LiveProcessRegistry
{
    private readonly ConcurrentDictionary<int, Action> _live = new();

    public int Count => _live.Count;

    public void Add(int pid, Action kill) => _live[pid] = kill;

    public void Remove(int pid) => _live.TryRemove(pid, out _);

    public void KillAll()
    {
        foreach (var (pid, kill) in _live)
        {
            try
            {
                kill();
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                // Already gone.
            }

            _live.TryRemove(pid, out _);
        }
    }
}
