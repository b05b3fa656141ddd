namespace Carapace.Sandbox.Linux;

/// <summary>
/// Post-run sweeps of per-run uids, coalesced: a sweep reads the status of every process on the machine
/// (several ms of CPU), so instead of one scan per run, runs that end within <see cref="Coalesce"/> of
/// each other share one scan that kills the processes of all their uids. A uid is handed back to the pool
/// only after that scan (clean, or marked busy so its next renter sweeps again), so it is never reused
/// while something of its run may live; the pool meanwhile hands out other uids.
/// </summary>
internal sealed class BatchedUidSweeper
{
    public static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(25);

    private readonly Lock _lock = new();
    private readonly HashSet<uint> _pending = [];
    private readonly Func<IReadOnlyCollection<uint>, TimeSpan, IReadOnlySet<uint>> _sweep;
    private readonly Action<uint, bool> _return;
    private Task? _pump;

    /// <param name="sweep">Kills every process of the given uids; returns the uids that still have live processes.</param>
    /// <param name="return">Hands a uid back to the pool: clean, or left busy for the next renter to sweep.</param>
    public BatchedUidSweeper(Func<IReadOnlyCollection<uint>, TimeSpan, IReadOnlySet<uint>> sweep, Action<uint, bool> @return)
    {
        _sweep = sweep;
        _return = @return;
    }

    public void Enqueue(uint uid)
    {
        lock (_lock)
        {
            _pending.Add(uid);
            if (_pump is null)
            {
                // Without the caller's execution context: the pump (and its delay timer) outlives the run,
                // and a context captured from a plugin's call flow would pin that plugin's load context.
                using (ExecutionContext.SuppressFlow())
                {
                    _pump = Task.Run(PumpAsync);
                }
            }
        }
    }

    /// <summary>Completes once every uid enqueued so far has been swept and returned.</summary>
    public Task FlushAsync()
    {
        lock (_lock)
        {
            return _pump ?? Task.CompletedTask;
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            await Task.Delay(Coalesce);
            uint[] batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _pump = null;
                    return;
                }

                batch = [.. _pending];
                _pending.Clear();
            }

            IReadOnlySet<uint>? survivors = null;
            try
            {
                survivors = _sweep(batch, TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // Whatever failed, survivors stays null: every uid of the batch is left busy and swept again
                // by its next renter. The pump must not fault, or later uids would never be returned.
            }

            foreach (var uid in batch)
            {
                try
                {
                    _return(uid, survivors is not null && !survivors.Contains(uid));
                }
                catch (Exception)
                {
                    // The reservation could not be released cleanly; it is dropped with the process at exit.
                }
            }
        }
    }
}
