using System.Collections.Concurrent;

namespace Carapace.Host.Credentials;

/// <summary>
/// Per-plugin limits shared by every <see cref="PluginCredentials"/> of the process (so reloading a
/// plugin does not reset them): at most <see cref="MaxEntries"/> stored credentials and
/// <see cref="MaxWritesPerWindow"/> writes (sets and deletes) in any sliding <see cref="Window"/>.
/// The rate state is in memory, as upstream.
/// </summary>
internal sealed class PluginCredentialLimiter(TimeProvider time)
{
    public const int MaxEntries = 100;
    public const int MaxWritesPerWindow = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, PluginState> _plugins = new(StringComparer.Ordinal);

    /// <summary>Serialises one plugin's writes so the quota check and the write cannot interleave.</summary>
    public SemaphoreSlim WriteGate(string pluginId) => State(pluginId).Gate;

    /// <summary>Records a write if the plugin is under its rate; false (nothing recorded) otherwise.</summary>
    public bool TryRecordWrite(string pluginId, out TimeSpan retryAfter)
    {
        var state = State(pluginId);
        var now = time.GetUtcNow();
        lock (state.Writes)
        {
            while (state.Writes.Count > 0 && now - state.Writes.Peek() >= Window)
            {
                state.Writes.Dequeue();
            }

            if (state.Writes.Count >= MaxWritesPerWindow)
            {
                retryAfter = Window - (now - state.Writes.Peek());
                return false;
            }

            state.Writes.Enqueue(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    private PluginState State(string pluginId) => _plugins.GetOrAdd(pluginId, _ => new PluginState());

    private sealed class PluginState
    {
        public Queue<DateTimeOffset> Writes { get; } = new();

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}
