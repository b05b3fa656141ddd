using System.Collections.Concurrent;
using System.Globalization;
using Carapace.Abstractions.Channels;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Plugins.Tests.Channels;

/// <summary>The supervisor's restart delays, on a clock the test drives.</summary>
public sealed class ChannelBackoffTests
{
    private static readonly PluginRuntimeOptions Options = new()
    {
        ChannelRestartDelay = TimeSpan.FromMilliseconds(500),
        ChannelMaxRestartDelay = TimeSpan.FromSeconds(4),
        ChannelMaxRestarts = 10,
        ChannelStableAfter = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public async Task Restart_delay_doubles_up_to_the_cap_and_starts_over_after_a_stable_run()
    {
        var time = new FakeTimeProvider();
        var channel = new ScriptedChannel();
        var events = new RecordingObserver();
        var supervisor = new ChannelSupervisor(channel, "scripted", "scripted-plugin", new DiscardingInbound(), () => new NoScope(),
            Options, time, NullLogger.Instance, events, CancellationToken.None);
        supervisor.Start();

        int[] expected = [500, 1000, 2000, 4000, 4000];
        for (var i = 0; i < expected.Length; i++)
        {
            var run = await channel.WaitForRunAsync(i + 1);
            run.Crash();
            var restart = await RestartEventAsync(events, i + 1);
            Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), restart.Data["attempt"]);
            Assert.Equal(expected[i].ToString(CultureInfo.InvariantCulture), restart.Data["delayMs"]);
            Assert.Equal(ChannelRunState.Restarting, supervisor.State);

            // Fake timers fire inside Advance: one millisecond short, the loop has not been restarted.
            time.Advance(TimeSpan.FromMilliseconds(expected[i] - 1));
            Assert.Equal(i + 1, channel.Runs);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // This run stays up for the stable period before it crashes: the crash count starts over.
        var stable = await channel.WaitForRunAsync(expected.Length + 1);
        time.Advance(Options.ChannelStableAfter);
        stable.Crash();
        var reset = await RestartEventAsync(events, expected.Length + 1);
        Assert.Equal("1", reset.Data["attempt"]);
        Assert.Equal("500", reset.Data["delayMs"]);
        Assert.Equal(expected.Length + 1, supervisor.Restarts);

        Assert.True(await supervisor.StopAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ChannelRunState.Stopped, supervisor.State);
    }

    private static async Task<PluginLifecycleEvent> RestartEventAsync(RecordingObserver events, int count)
    {
        Assert.True(await Eventually.TrueAsync(() => events.All.Count(e => e.Kind == PluginLifecycleEventKind.ChannelRestarted) >= count),
            $"restart event {count} did not arrive");
        return events.All.Where(e => e.Kind == PluginLifecycleEventKind.ChannelRestarted).ElementAt(count - 1);
    }

    /// <summary>Each RunAsync call waits until the test crashes it (or the loop is stopped).</summary>
    private sealed class ScriptedChannel : IChannel
    {
        private readonly ConcurrentDictionary<int, ScriptedRun> _runs = new();
        private int _runCount;

        public string Id => "scripted";

        public ChannelCapabilities Capabilities { get; } = new(Inbound: true, Outbound: false, IsLocal: true);

        public int Runs => Volatile.Read(ref _runCount);

        public Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken)
        {
            var run = new ScriptedRun(cancellationToken);
            _runs[Interlocked.Increment(ref _runCount)] = run;
            return run.Task;
        }

        public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task<ScriptedRun> WaitForRunAsync(int number)
        {
            Assert.True(await Eventually.TrueAsync(() => _runs.ContainsKey(number)), $"run {number} did not start");
            return _runs[number];
        }
    }

    private sealed class ScriptedRun
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ScriptedRun(CancellationToken stop) => stop.Register(() => _done.TrySetCanceled(stop));

        public Task Task => _done.Task;

        public void Crash() => _done.TrySetException(new IOException("the transport went away"));
    }

    private sealed class DiscardingInbound : IChannelInbound
    {
        public ValueTask DeliverAsync(InboundMessage message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoScope : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
