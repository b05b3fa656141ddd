using System.Globalization;
using Carapace.Abstractions.Channels;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Channels;

/// <summary>
/// Runs one channel's receive loop and restarts it with exponential back-off when it crashes
/// (throws, or returns before it was asked to stop). After <see cref="PluginRuntimeOptions.ChannelMaxRestarts"/>
/// consecutive crashes the channel is left in <see cref="ChannelRunState.Error"/>; the rest of the
/// plugin, and every other plugin, keeps running.
/// </summary>
internal sealed class ChannelSupervisor
{
    private readonly IChannel _channel;
    private readonly string _pluginId;
    private readonly IChannelInbound _inbound;
    private readonly Func<IDisposable> _enterReflection;
    private readonly PluginRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IPluginLifecycleObserver _observer;
    private readonly CancellationTokenSource _stop;
    private Task _loop = Task.CompletedTask;
    private Task<bool>? _stopped;
    private int _state = (int)ChannelRunState.Starting;
    private int _restarts;
    private string? _lastError;

    public ChannelSupervisor(
        IChannel channel,
        string channelId,
        string pluginId,
        IChannelInbound inbound,
        Func<IDisposable> enterReflection,
        PluginRuntimeOptions options,
        TimeProvider time,
        ILogger logger,
        IPluginLifecycleObserver observer,
        CancellationToken pluginStopping)
    {
        _channel = channel;
        ChannelId = channelId;
        _pluginId = pluginId;
        _inbound = inbound;
        _enterReflection = enterReflection;
        _options = options;
        _time = time;
        _logger = logger;
        _observer = observer;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(pluginStopping);
    }

    public string ChannelId { get; }

    public ChannelRunState State => (ChannelRunState)Volatile.Read(ref _state);

    public int Restarts => Volatile.Read(ref _restarts);

    public string? LastError => Volatile.Read(ref _lastError);

    public void Start()
    {
        // The loop is long-lived host work: it must not inherit whatever AsyncLocal state the caller has.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(() => LoopAsync(_stop.Token));
        }
    }

    /// <summary>Cancels the loop and waits for it, at most <paramref name="timeout"/>.</summary>
    /// <returns>False if the loop did not end in time (the plugin ignores cancellation).</returns>
    /// <remarks>Idempotent: a reload stops the loops early, the final shutdown stops them again.</remarks>
    public Task<bool> StopAsync(TimeSpan timeout)
    {
        lock (_stop)
        {
            return _stopped ??= StopOnceAsync(timeout);
        }
    }

    private async Task<bool> StopOnceAsync(TimeSpan timeout)
    {
        _stop.Cancel();
        try
        {
            await _loop.WaitAsync(timeout, _time);
            return true;
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("channel {ChannelId} of plugin {PluginId} did not stop within {Timeout}", ChannelId, _pluginId, timeout);
            return false;
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        var consecutive = 0;
        while (!stop.IsCancellationRequested)
        {
            SetState(ChannelRunState.Running);
            var started = _time.GetTimestamp();
            string? crash;
            try
            {
                await RunOnceAsync(stop);
                crash = stop.IsCancellationRequested ? null : "RunAsync returned before the channel was stopped";
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                crash = null;
            }
            catch (Exception ex)
            {
                // Only text leaves this frame: the exception object may be of a plugin type.
                crash = $"{ex.GetType().FullName}: {ex.Message}";
            }

            if (crash is null)
            {
                break;
            }

            if (_time.GetElapsedTime(started) >= _options.ChannelStableAfter)
            {
                consecutive = 0;
            }

            consecutive++;
            Interlocked.Increment(ref _restarts);
            Volatile.Write(ref _lastError, crash);
            if (consecutive > _options.ChannelMaxRestarts)
            {
                SetState(ChannelRunState.Error);
                _logger.LogError("channel {ChannelId} of plugin {PluginId} crashed {Count} times in a row and is now in error: {Error}", ChannelId, _pluginId, consecutive, crash);
                _observer.OnEvent(new PluginLifecycleEvent(_pluginId, PluginLifecycleEventKind.ChannelError, crash)
                {
                    Data = new Dictionary<string, string> { ["channel"] = ChannelId },
                });
                return;
            }

            var delay = Backoff(consecutive);
            // The timer exists before anyone hears of the restart: a test clock advanced on the event
            // must not race the delay's creation.
            var wait = Task.Delay(delay, _time, stop);
            SetState(ChannelRunState.Restarting);
            _logger.LogWarning("channel {ChannelId} of plugin {PluginId} crashed ({Error}); restart {Attempt} in {Delay}", ChannelId, _pluginId, crash, consecutive, delay);
            _observer.OnEvent(new PluginLifecycleEvent(_pluginId, PluginLifecycleEventKind.ChannelRestarted, crash)
            {
                Data = new Dictionary<string, string>
                {
                    ["channel"] = ChannelId,
                    ["attempt"] = consecutive.ToString(CultureInfo.InvariantCulture),
                    ["delayMs"] = delay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
                },
            });
            try
            {
                await wait;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        SetState(ChannelRunState.Stopped);
    }

    private async Task RunOnceAsync(CancellationToken stop)
    {
        using var scope = _enterReflection();
        await _channel.RunAsync(_inbound, stop);
    }

    private TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 20));
        var ms = Math.Min(_options.ChannelRestartDelay.TotalMilliseconds * factor, _options.ChannelMaxRestartDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }

    private void SetState(ChannelRunState state)
    {
        // Error is terminal for this generation.
        if (State != ChannelRunState.Error)
        {
            Volatile.Write(ref _state, (int)state);
        }
    }
}
