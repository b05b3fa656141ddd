namespace Carapace.Plugins.Runtime;

/// <summary>
/// Counts calls in flight on one plugin generation and lets the runtime close the gate and wait
/// for them. Lock-free: bit 0 of the state is "draining", the rest is twice the number of calls.
/// A call that loses the race with <see cref="BeginDrain"/> is refused and retried on the new generation.
/// </summary>
internal sealed class CallGate
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public int InFlight => Volatile.Read(ref _state) >> 1;

    public bool IsDraining => (Volatile.Read(ref _state) & 1) != 0;

    public bool TryEnter()
    {
        while (true)
        {
            var s = Volatile.Read(ref _state);
            if ((s & 1) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, s + 2, s) == s)
            {
                return true;
            }
        }
    }

    public void Exit()
    {
        if (Interlocked.Add(ref _state, -2) == 1)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Closes the gate; the returned task completes when the last call in flight exits.</summary>
    public Task BeginDrain()
    {
        if (Interlocked.Or(ref _state, 1) == 0)
        {
            _drained.TrySetResult();
        }

        return _drained.Task;
    }
}
