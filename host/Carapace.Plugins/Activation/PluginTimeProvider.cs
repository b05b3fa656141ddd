using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Activation;

/// <summary>
/// The clock one plugin generation sees (<c>IPluginContext.TimeProvider</c>). Reads go to the host's
/// clock; every timer the plugin creates (directly, or through <c>Task.Delay(…, timeProvider)</c>) is
/// tracked and disposed when the generation unloads (rules 4 and 5): a timer the plugin forgot would
/// otherwise keep firing into unloaded code and keep its load context alive through the host's timer queue.
/// A callback that throws is logged instead of crashing the host.
/// </summary>
internal sealed class PluginTimeProvider(TimeProvider host, string pluginId, ILogger logger) : TimeProvider
{
    private readonly object _sync = new();
    private HashSet<TrackedTimer>? _timers = [];

    public override TimeZoneInfo LocalTimeZone => host.LocalTimeZone;

    public override long TimestampFrequency => host.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => host.GetUtcNow();

    public override long GetTimestamp() => host.GetTimestamp();

    /// <exception cref="ObjectDisposedException">The plugin generation is unloaded.</exception>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new TrackedTimer(this, callback, state);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_timers is null, this);
            _timers.Add(timer);
        }

        timer.Start(host, dueTime, period);
        return timer;
    }

    /// <summary>Disposes every timer still alive and refuses new ones. Completes when running callbacks have returned.</summary>
    public async ValueTask DisposeTimersAsync()
    {
        List<TrackedTimer> timers;
        lock (_sync)
        {
            if (_timers is null)
            {
                return;
            }

            timers = [.. _timers];
            _timers = null;
        }

        foreach (var timer in timers)
        {
            await timer.DisposeAsync();
        }
    }

    private void Forget(TrackedTimer timer)
    {
        lock (_sync)
        {
            _timers?.Remove(timer);
        }
    }

    private sealed class TrackedTimer(PluginTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private readonly object _sync = new();
        private ITimer? _inner;
        private bool _disposed;

        public void Start(TimeProvider host, TimeSpan dueTime, TimeSpan period)
        {
            // Created outside the lock: a host timer may fire (and take the lock) before CreateTimer returns.
            var inner = host.CreateTimer(static s => ((TrackedTimer)s!).Fire(), this, dueTime, period);
            lock (_sync)
            {
                if (!_disposed)
                {
                    _inner = inner;
                    return;
                }
            }

            inner.Dispose();
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_sync)
            {
                return !_disposed && _inner is not null && _inner.Change(dueTime, period);
            }
        }

        public void Dispose()
        {
            var inner = Detach();
            inner?.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            var inner = Detach();
            if (inner is not null)
            {
                await inner.DisposeAsync();
            }
        }

        private ITimer? Detach()
        {
            ITimer? inner;
            lock (_sync)
            {
                if (_disposed)
                {
                    return null;
                }

                _disposed = true;
                inner = _inner;
                _inner = null;
            }

            owner.Forget(this);
            return inner;
        }

        private void Fire()
        {
            if (Volatile.Read(ref _disposed))
            {
                return;
            }

            try
            {
                callback(state);
            }
            catch (Exception ex)
            {
                // Text only: the exception may be of a plugin type.
                owner.LogCallbackFailure($"{ex.GetType().FullName}: {ex.Message}");
            }
        }
    }

    private void LogCallbackFailure(string error) => logger.LogWarning("plugin {PluginId}: a timer callback threw {Error}", pluginId, error);
}
