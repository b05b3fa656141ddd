using Carapace.Abstractions.Webhooks;
using Carapace.Plugins.Activation;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Loading;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Services;
using Carapace.Plugins.Tools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// One activation of a plugin: its load context, its container, its tool and channel instances,
/// the token that stops it, and the gate that counts calls in flight. The slot owns exactly one
/// current generation (rule 1); a reload builds a new one and retires the old. After
/// <see cref="ShutdownAsync"/> this object holds nothing of the plugin.
/// </summary>
internal sealed class PluginGeneration
{
    private readonly CancellationTokenSource _stopping;
    private readonly CallGate _gate = new();
    private IPluginAssembly? _assembly;
    private ServiceProvider? _provider;
    private PluginServices? _hostServices;
    private PluginTimeProvider? _time;

    public PluginGeneration(
        int number,
        PluginManifest manifest,
        IPluginAssembly assembly,
        ServiceProvider provider,
        PluginServices hostServices,
        PluginTimeProvider time,
        CancellationTokenSource stopping,
        IReadOnlyDictionary<string, ToolEntry> tools,
        IReadOnlyDictionary<string, ChannelEntry> channels,
        IWebhookReceiver? webhook,
        IReadOnlyList<string> warnings,
        double loadMilliseconds)
    {
        Number = number;
        Manifest = manifest;
        _assembly = assembly;
        _provider = provider;
        _hostServices = hostServices;
        _time = time;
        _stopping = stopping;
        Stopping = stopping.Token;
        Tools = tools;
        Channels = channels;
        Webhook = webhook;
        Warnings = warnings;
        LoadMilliseconds = loadMilliseconds;
    }

    public int Number { get; }
    public PluginManifest Manifest { get; }
    public IReadOnlyDictionary<string, ToolEntry> Tools { get; private set; }
    public IReadOnlyDictionary<string, ChannelEntry> Channels { get; private set; }
    public IWebhookReceiver? Webhook { get; private set; }
    public IReadOnlyList<string> Warnings { get; }
    public double LoadMilliseconds { get; }
    public DateTimeOffset ActivatedAt { get; } = DateTimeOffset.UtcNow;
    /// <summary>Captured once: it stays readable after the source is disposed at shutdown.</summary>
    public CancellationToken Stopping { get; }
    public int InFlight => _gate.InFlight;

    public bool TryEnter() => _gate.TryEnter();

    public void Exit() => _gate.Exit();

    /// <summary>
    /// For a call whose caller has been answered (timeout, cancellation) while the plugin's code still
    /// runs: the lease is released, and <paramref name="callResources"/> disposed, only when
    /// <paramref name="pluginWork"/> really ends, so an unload never overlaps plugin code. The unload
    /// waits for it for the drain timeout, cancels, and waits the stop timeout more.
    /// </summary>
    public void ExitWhenDone(Task pluginWork, IDisposable callResources) =>
        _ = pluginWork.ContinueWith(
            static (_, state) =>
            {
                var (generation, resources) = ((PluginGeneration, IDisposable))state!;
                resources.Dispose();
                generation.Exit();
            },
            (this, callResources),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    /// <summary>Rule 9: plugin code runs with contextual reflection pointing at its own context.</summary>
    public IDisposable EnterReflection() => _assembly?.EnterContextualReflection() ?? NoScope.Instance;

    /// <summary>Stops only the channel loops (a reload stops them before the new generation starts its own).</summary>
    public async Task StopChannelsAsync(TimeSpan timeout)
    {
        var stops = Channels.Values.Select(c => c.Supervisor?.StopAsync(timeout) ?? Task.FromResult(true)).ToList();
        await Task.WhenAll(stops);
    }

    /// <summary>
    /// Rule 4 then rule 2: refuse new calls, let calls in flight finish (bounded), cancel whatever is
    /// left, stop channel loops, dispose the plugin's timers, its container and the host services, drop every plugin
    /// reference, unload. Returns the context's weak reference for <see cref="UnloadVerifier"/>.
    /// </summary>
    public async Task<WeakReference> ShutdownAsync(TimeSpan drainTimeout, TimeSpan stopTimeout, ILogger logger)
    {
        var drained = _gate.BeginDrain();
        if (!await Completes(drained, drainTimeout))
        {
            logger.LogWarning("plugin {PluginId}: {Count} call(s) still running after {Timeout}; cancelling them", Manifest.Id, _gate.InFlight, drainTimeout);
        }

        await PluginTeardown.CancelAsync(_stopping, Manifest.Id, logger);
        await StopChannelsAsync(stopTimeout);
        if (!await Completes(drained, stopTimeout))
        {
            logger.LogWarning("plugin {PluginId}: {Count} call(s) ignored cancellation; unloading anyway (the unload may not complete)", Manifest.Id, _gate.InFlight);
        }

        await DisposeTimersAsync(stopTimeout, logger);
        await DisposeProviderAsync(logger);
        await DisposeHostServicesAsync(logger);

        Tools = new Dictionary<string, ToolEntry>();
        Channels = new Dictionary<string, ChannelEntry>();
        Webhook = null;
        _stopping.Dispose();

        var assembly = _assembly ?? throw new InvalidOperationException("generation already shut down");
        _assembly = null;
        return assembly.Unload();
    }

    // Separate methods so that no local of ShutdownAsync's state machine holds the container.
    private async Task DisposeTimersAsync(TimeSpan timeout, ILogger logger)
    {
        var time = _time;
        _time = null;
        if (time is not null && !await Completes(time.DisposeTimersAsync().AsTask(), timeout))
        {
            logger.LogWarning("plugin {PluginId}: a timer callback was still running after {Timeout}", Manifest.Id, timeout);
        }
    }

    private async Task DisposeProviderAsync(ILogger logger)
    {
        var provider = _provider;
        _provider = null;
        if (provider is not null)
        {
            await PluginTeardown.DisposeContainerAsync(provider, EnterReflection, Manifest.Id, logger);
        }
    }

    private async Task DisposeHostServicesAsync(ILogger logger)
    {
        var services = _hostServices;
        _hostServices = null;
        if (services is not null)
        {
            await PluginTeardown.DisposeHostServicesAsync(services, Manifest.Id, logger);
        }
    }

    private static async Task<bool> Completes(Task task, TimeSpan timeout)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        try
        {
            await task.WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}
