using System.Diagnostics;
using Carapace.Storage;

namespace Carapace.Host.Gateway;

/// <summary>
/// The costly diagnostics of <c>/control/status</c> and <c>/health/ready</c>, measured at most once a
/// second. The state-dir probe creates and deletes a file (~75 µs of CPU) and
/// <see cref="Environment.WorkingSet"/> parses /proc (~50 µs); per request they made an authenticated
/// status call 3× dearer than the whole middleware stack (docs/performance.md), and a polling client
/// or a flood should not turn into file-system churn.
/// </summary>
internal sealed class StateProbe(StateDirectory state)
{
    private readonly Cached<bool> _writable = new(state.IsWritable);
    private readonly Cached<long> _workingSet = new(() => Environment.WorkingSet);

    public bool IsWritable() => _writable.Get();

    public long WorkingSet => _workingSet.Get();

    private sealed class Cached<T>(Func<T> read)
    {
        private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
        private readonly Lock _gate = new();
        private long _readAt;
        private T _value = default!;

        public T Get()
        {
            lock (_gate)
            {
                if (_readAt == 0 || Stopwatch.GetElapsedTime(_readAt) > MaxAge)
                {
                    _value = read();
                    _readAt = Stopwatch.GetTimestamp();
                }

                return _value;
            }
        }
    }
}
