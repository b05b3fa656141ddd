using Carapace.Plugins.Lock;
using Carapace.Plugins.Loading;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Signing;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// Everything the host knows about one plugin id (rule 1): its folder, last manifest, state,
/// counters and the single current <see cref="PluginGeneration"/>. Lifecycle operations on a slot
/// are serialised by <see cref="Lifecycle"/>; calls take a lease on the current generation without locking.
/// </summary>
internal sealed class PluginSlot(string id, string directory, PluginSource source)
{
    private readonly object _sync = new();
    private PluginGeneration? _current;
    private int _errorCount;
    private int _consecutiveFailures;

    public string Id { get; } = id;
    /// <summary>Changes only when an update swaps a managed plugin to another version's directory.</summary>
    public string Directory { get; set; } = directory;
    public PluginSource Source { get; set; } = source;
    public SemaphoreSlim Lifecycle { get; } = new(1, 1);

    public PluginManifest? Manifest { get; set; }
    public PluginState State { get; private set; } = PluginState.Discovered;
    public string? Reason { get; private set; }
    public double? LoadMs { get; set; }

    /// <summary>
    /// The last verified unload of this plugin's code: of the generation that was disabled, faulted,
    /// stopped or retired by a reload, or of a failed activation. Null once a new generation is
    /// activated by an enable (it would describe code that no longer runs).
    /// </summary>
    public UnloadVerification? LastUnload { get; private set; }

    /// <summary>Milliseconds of <see cref="LastUnload"/> (drain, dispose and verification).</summary>
    public double? UnloadMs => LastUnload?.Milliseconds;
    public string? LastError { get; private set; }
    public IReadOnlyList<string> Warnings { get; set; } = [];
    public int GenerationCount { get; set; }

    /// <summary>The lock entry of a managed or linked plugin (what every load is checked against).</summary>
    public PluginLockEntry? Managed { get; set; }

    /// <summary>The signature verdict of the last load check of a managed or linked plugin.</summary>
    public SignatureState? Signature { get; set; }

    /// <summary>An unload of this id did not complete; it is not loaded again in this process.</summary>
    public bool HasLeaked { get; set; }

    public int ErrorCount => Volatile.Read(ref _errorCount);

    public PluginGeneration? Current => Volatile.Read(ref _current);

    public void SetState(PluginState state, string? reason = null)
    {
        lock (_sync)
        {
            State = state;
            Reason = reason;
        }
    }

    public void RecordUnload(UnloadVerification? unload)
    {
        lock (_sync)
        {
            LastUnload = unload;
        }
    }

    public void RecordError(string error)
    {
        Interlocked.Increment(ref _errorCount);
        lock (_sync)
        {
            LastError = error;
        }
    }

    /// <returns>The number of consecutive call failures, after this one.</returns>
    public int RecordCallFailure(string error)
    {
        RecordError(error);
        return Interlocked.Increment(ref _consecutiveFailures);
    }

    public void RecordCallSuccess() => Volatile.Write(ref _consecutiveFailures, 0);

    /// <summary>Installs <paramref name="next"/> as the current generation and returns the previous one.</summary>
    public PluginGeneration? Swap(PluginGeneration? next)
    {
        Volatile.Write(ref _consecutiveFailures, 0);
        return Interlocked.Exchange(ref _current, next);
    }

    /// <summary>
    /// Takes a lease on the current generation; the caller must call <see cref="PluginGeneration.Exit"/>.
    /// Retries when it raced with a reload that closed the old generation's gate.
    /// </summary>
    public bool TryAcquire(out PluginGeneration generation)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var current = Volatile.Read(ref _current);
            if (current is null)
            {
                break;
            }

            if (current.TryEnter())
            {
                generation = current;
                return true;
            }

            if (ReferenceEquals(current, Volatile.Read(ref _current)))
            {
                // Draining but not replaced: the plugin is being disabled.
                break;
            }
        }

        generation = null!;
        return false;
    }
}
