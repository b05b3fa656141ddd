using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Carapace.Abstractions.Webhooks;
using Carapace.Plugins.Activation;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Install;
using Carapace.Plugins.Loading;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Routing;
using Carapace.Plugins.Services;
using Carapace.Plugins.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// The plugin catalog and lifecycle: discovery, load, enable/disable, reload with an atomic slot
/// swap, unload with verification. One failing plugin never stops the others or the host.
/// </summary>
internal sealed partial class PluginRuntime : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PluginSlot> _slots = new(StringComparer.Ordinal);
    private readonly PluginActivator _activator;
    private readonly ToolRegistry _tools;
    private readonly ChannelRegistry _channels;
    private readonly PluginRegistrations _registrations;
    private readonly MessageRouter _router;
    private readonly PluginRuntimeOptions _options;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IPluginLifecycleObserver _observer;
    private readonly ManagedPluginStore _managed;
    private PluginWatcher? _watcher;

    // Problems of the runtime itself rather than of one plugin (a load path that cannot be read, the watch
    // that could not be set up): logged, and listed by GET /control/plugins.
    private readonly ConcurrentQueue<string> _warnings = new();

    // Channel loops start only once every plugin of the initial scan is loaded, so that the first
    // messages already see every tool.
    private volatile bool _channelsStarted;

    public PluginRuntime(
        PluginActivator activator,
        ToolRegistry tools,
        ChannelRegistry channels,
        MessageRouter router,
        PluginRuntimeOptions options,
        IConfiguration configuration,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IPluginLifecycleObserver observer,
        ManagedPluginStore managed)
    {
        _activator = activator;
        _tools = tools;
        _channels = channels;
        _registrations = new PluginRegistrations(tools, channels);
        _router = router;
        _options = options;
        _configuration = configuration;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<PluginRuntime>();
        _observer = observer;
        _managed = managed;
        _tools.FaultHandler = slot => _ = Task.Run(() => FaultAsync(slot));
    }

    public PluginRuntimeOptions Options => _options;

    /// <summary>Warnings about discovery and watching, not about a single plugin (those are in its <see cref="PluginInfo"/>).</summary>
    public IReadOnlyList<string> Warnings => _warnings.ToArray();

    /// <summary>Discovers every plugin and activates the enabled ones, one after the other.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // Discover everything first: a load-path copy of a bundled plugin replaces it before either loads.
        foreach (var found in PluginDiscovery.Discover(_options, _logger, _warnings.Enqueue))
        {
            AddSlot(found);
        }

        AddManagedSlots();

        foreach (var slot in _slots.Values.Where(s => s.State == PluginState.Discovered).OrderBy(s => s.Id, StringComparer.Ordinal).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await slot.Lifecycle.WaitAsync(cancellationToken);
            try
            {
                await ActivateAsync(slot, fromConfig: true);
            }
            finally
            {
                slot.Lifecycle.Release();
            }
        }

        _channelsStarted = true;
        foreach (var slot in _slots.Values)
        {
            await slot.Lifecycle.WaitAsync(cancellationToken);
            try
            {
                StartChannels(slot);
            }
            finally
            {
                slot.Lifecycle.Release();
            }
        }

        if (_options.Watch)
        {
            _watcher = new PluginWatcher(_options.WatchDebounce, _time, id => _ = ReloadFromWatchAsync(id), _logger);
            // Managed copies never change in place (an update swaps directories), so only development folders are watched.
            foreach (var slot in _slots.Values.Where(s => s.Source != PluginSource.Managed))
            {
                try
                {
                    _watcher.Watch(slot.Id, slot.Directory);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
                {
                    // Typically the inotify limit (fs.inotify.max_user_instances/max_user_watches): automatic
                    // reload is a convenience, so the gateway runs on without it; an explicit reload still works.
                    var warning = $"plugins:watch is disabled: cannot watch {slot.Directory} for plugin {slot.Id} ({ex.Message}); " +
                                  "reload plugins with `cara plugins reload ID`, or raise fs.inotify.max_user_instances / max_user_watches";
                    _logger.LogWarning("{Warning}", warning);
                    _warnings.Enqueue(warning);
                    _watcher.Dispose();
                    _watcher = null;
                    break;
                }
            }
        }
    }

    /// <summary>Unloads every plugin (host shutdown): state <c>unloaded</c> or <c>leaked</c>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _watcher?.Dispose();
        _watcher = null;
        foreach (var slot in _slots.Values)
        {
            await slot.Lifecycle.WaitAsync(cancellationToken);
            try
            {
                if (slot.Current is not null)
                {
                    await DeactivateAsync(slot, PluginState.Unloaded, "host stopping");
                }
            }
            finally
            {
                slot.Lifecycle.Release();
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public IReadOnlyList<PluginInfo> List() => _slots.Values.OrderBy(s => s.Id, StringComparer.Ordinal).Select(Describe).ToList();

    public PluginInfo? Get(string id) => _slots.TryGetValue(id, out var slot) ? Describe(slot) : null;

    public IReadOnlyList<ToolInfo> ListTools() => _tools.List();

    public Task<ToolInvocationResult> InvokeToolAsync(string name, System.Text.Json.JsonElement arguments, ToolInvocationOptions? options = null, CancellationToken cancellationToken = default) =>
        _tools.InvokeAsync(name, arguments, options, cancellationToken);

    public IReadOnlyList<ChannelInfo> ListChannels() => _channels.List();

    /// <summary>The plugin that provides <paramref name="channelId"/>; null when no plugin does.</summary>
    public string? ChannelOwner(string channelId) => _channels.OwnerOf(channelId);

    public Task<ChannelSendResult> SendAsync(string channelId, Carapace.Abstractions.Channels.OutboundMessage message, CancellationToken cancellationToken = default) =>
        _channels.SendAsync(channelId, message, cancellationToken);

    /// <summary>Hands an inbound HTTP request (<c>/plugins/{id}/{**path}</c>) to the plugin's webhook receiver.</summary>
    public Task<WebhookDispatchResult> DispatchWebhookAsync(string pluginId, WebhookRequest request, CancellationToken cancellationToken = default) =>
        _channels.DispatchWebhookAsync(_slots.GetValueOrDefault(pluginId), pluginId, request, cancellationToken);

    public async Task<PluginOperationResult> EnableAsync(string id)
    {
        if (!_slots.TryGetValue(id, out var slot))
        {
            return NotFound(id);
        }

        if (!_options.Enabled)
        {
            return new PluginOperationResult(PluginOperationCodes.DisabledGlobally, "plugins:enabled is false; no plugin can be enabled", Describe(slot));
        }

        await slot.Lifecycle.WaitAsync();
        try
        {
            if (slot.Current is not null)
            {
                return Ok(slot, "already active");
            }

            if (slot.HasLeaked)
            {
                return Leaked(slot);
            }

            var ok = await ActivateAsync(slot, fromConfig: false);
            if (ok)
            {
                _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Enabled));
            }

            return ok ? Ok(slot, "enabled") : new PluginOperationResult(PluginOperationCodes.Failed, slot.Reason ?? "failed", Describe(slot));
        }
        finally
        {
            slot.Lifecycle.Release();
        }
    }

    public async Task<PluginOperationResult> DisableAsync(string id)
    {
        if (!_slots.TryGetValue(id, out var slot))
        {
            return NotFound(id);
        }

        await slot.Lifecycle.WaitAsync();
        try
        {
            if (slot.Current is null)
            {
                if (slot.State is PluginState.Failed or PluginState.Faulted or PluginState.Discovered)
                {
                    slot.SetState(PluginState.Disabled, "disabled by the operator");
                }

                return Ok(slot, "not active");
            }

            await DeactivateAsync(slot, PluginState.Disabled, "disabled by the operator");
            _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Disabled));
            return slot.State == PluginState.Leaked ? Leaked(slot) : Ok(slot, "disabled");
        }
        finally
        {
            slot.Lifecycle.Release();
        }
    }

    /// <summary>
    /// Loads the plugin's folder again into a new generation and swaps it in. Calls in flight finish
    /// on the old generation, new calls go to the new one. If the new version fails to load, the old
    /// one keeps running and the result says why.
    /// </summary>
    public async Task<PluginOperationResult> ReloadAsync(string id)
    {
        if (!_slots.TryGetValue(id, out var slot))
        {
            return NotFound(id);
        }

        await slot.Lifecycle.WaitAsync();
        try
        {
            if (slot.HasLeaked)
            {
                return Leaked(slot);
            }

            if (slot.Current is null)
            {
                if (slot.State == PluginState.Disabled && !_options.Enabled)
                {
                    return new PluginOperationResult(PluginOperationCodes.DisabledGlobally, "plugins:enabled is false", Describe(slot));
                }

                if (slot.State == PluginState.Disabled)
                {
                    // A reload must not undo the operator's (or the configuration's) decision.
                    return new PluginOperationResult(PluginOperationCodes.Disabled,
                        $"plugin '{slot.Id}' is disabled ({slot.Reason}); enable it instead (cara plugins enable {slot.Id})", Describe(slot));
                }

                var ok = await ActivateAsync(slot, fromConfig: false);
                return ok ? Ok(slot, "loaded") : new PluginOperationResult(PluginOperationCodes.Failed, slot.Reason ?? "failed", Describe(slot));
            }

            var watch = Stopwatch.StartNew();
            var (next, error) = Build(slot);
            if (next is null)
            {
                slot.RecordError(error!);
                _logger.LogWarning("reload of plugin {PluginId} failed, the running version stays active: {Reason}", slot.Id, error);
                _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.ReloadFailed, error));
                return new PluginOperationResult(PluginOperationCodes.Failed, $"reload failed, previous version still active: {error}", Describe(slot));
            }

            var conflict = _registrations.TryClaim(slot, next.Tools.Keys.ToList(), next.Channels.Keys.ToList());
            if (conflict is not null)
            {
                var unload = await RetireAsync(slot, next, stopChannelsFirst: false);
                next = null;
                await OffTheStack();
                Verify(slot, unload, PluginState.Active, reason: null, silentOnSuccess: true);
                slot.RecordError(conflict);
                return new PluginOperationResult(PluginOperationCodes.Failed, $"reload failed, previous version still active: {conflict}", Describe(slot));
            }

            var loadMs = watch.Elapsed.TotalMilliseconds;
            var retired = await SwapAsync(slot, next);
            next = null;
            await OffTheStack();
            slot.LoadMs = loadMs;
            var verification = Verify(slot, retired, PluginState.Active, reason: null, silentOnSuccess: false);
            _logger.LogInformation("plugin {PluginId} reloaded (generation {Generation}, {LoadMs:0.0} ms)", slot.Id, slot.GenerationCount, loadMs);
            _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Reloaded, null, loadMs)
            {
                Data = new Dictionary<string, string> { ["version"] = slot.Manifest?.Version ?? string.Empty },
            });
            return verification ? Ok(slot, "reloaded") : Leaked(slot);
        }
        finally
        {
            slot.Lifecycle.Release();
        }
    }

    private void AddSlot(DiscoveredPlugin found)
    {
        var parsed = ManifestParser.ParseDirectory(found.Directory);
        var id = parsed.Manifest?.Id ?? parsed.Id ?? FolderId(found.Directory);
        var slot = new PluginSlot(id, found.Directory, found.Source) { Manifest = parsed.Manifest };
        if (found.Source == PluginSource.Bundled && parsed.Manifest is { } bundled && bundled.Kind.HasFlag(PluginKind.Channel))
        {
            // Its channel ids are known only once it activates, and a disabled one never does: the
            // first-party channels are named after their plugin (console, webhook), so the id is reserved now.
            _registrations.ReserveBundledChannels(id, [id]);
        }

        if (_slots.TryGetValue(id, out var existing))
        {
            if (existing.Source == PluginSource.Bundled && found.Source == PluginSource.Path && existing.Current is null)
            {
                _logger.LogInformation("plugin {PluginId} from {Directory} overrides the bundled copy", id, found.Directory);
                _slots[id] = slot;
                return;
            }

            var duplicateId = $"{id}@{FolderId(found.Directory)}";
            var duplicate = new PluginSlot(duplicateId, found.Directory, found.Source);
            Fail(duplicate, $"duplicate plugin id '{id}' (already loaded from {existing.Directory})");
            _slots.TryAdd(duplicateId, duplicate);
            return;
        }

        _slots[id] = slot;
    }

    /// <summary>Activates a slot that has no current generation. Caller holds the slot's lifecycle lock.</summary>
    private async Task<bool> ActivateAsync(PluginSlot slot, bool fromConfig)
    {
        if (!_options.Enabled)
        {
            slot.SetState(PluginState.Disabled, "plugins:enabled is false");
            return false;
        }

        if (fromConfig)
        {
            var manifest = ManifestParser.ParseDirectory(slot.Directory).Manifest;
            var flag = _configuration[$"plugins:{slot.Id}:enabled"];
            var enabled = flag is null ? manifest?.EnabledByDefault ?? true : bool.TryParse(flag, out var b) && b;
            if (!enabled)
            {
                slot.Manifest = manifest ?? slot.Manifest;
                slot.SetState(PluginState.Disabled, flag is null
                    ? $"not enabled by default; set plugins.{slot.Id}.enabled: true"
                    : $"disabled by configuration (plugins.{slot.Id}.enabled: {flag})");
                return false;
            }
        }

        slot.SetState(PluginState.Loading);
        var watch = Stopwatch.StartNew();
        var (generation, error) = Build(slot);
        if (generation is null)
        {
            Fail(slot, error!);
            return false;
        }

        var conflict = _registrations.TryClaim(slot, generation.Tools.Keys.ToList(), generation.Channels.Keys.ToList());
        if (conflict is not null)
        {
            var unload = await RetireAsync(slot, generation, stopChannelsFirst: false);
            generation = null;
            await OffTheStack();
            Verify(slot, unload, PluginState.Failed, conflict, silentOnSuccess: true);
            if (slot.State != PluginState.Leaked)
            {
                Fail(slot, conflict);
            }

            return false;
        }

        GoLive(slot, generation, watch.Elapsed.TotalMilliseconds);
        return true;
    }

    /// <summary>
    /// Publishes a built generation of a slot that has none as active and starts its channels. The
    /// caller has already claimed its tool names and channel ids (<see cref="PluginRegistrations.TryClaim"/>).
    /// </summary>
    private void GoLive(PluginSlot slot, PluginGeneration generation, double loadMs)
    {
        _ = slot.Swap(generation);
        StartChannels(slot, generation);
        slot.LoadMs = loadMs;
        slot.RecordUnload(null);
        slot.Warnings = generation.Warnings;
        slot.SetState(PluginState.Active);
        foreach (var warning in generation.Warnings)
        {
            _logger.LogWarning("plugin {PluginId}: {Warning}", slot.Id, warning);
            _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Warning, warning));
        }

        _logger.LogInformation("plugin {PluginId} {Version} active ({LoadMs:0.0} ms; tools: {Tools}; channels: {Channels})",
            slot.Id, generation.Manifest.Version, slot.LoadMs, string.Join(",", generation.Tools.Keys), string.Join(",", generation.Channels.Keys));
        PublishLoaded(slot, generation.Manifest.Version);
    }

    private void PublishLoaded(PluginSlot slot, string version) =>
        _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Loaded, null, slot.LoadMs)
        {
            Data = new Dictionary<string, string> { ["version"] = version, ["source"] = Source(slot) },
        });

    /// <summary>
    /// Checks the source (directory safety; for managed plugins the lock entry, digest and signature),
    /// parses the manifest again and activates a new generation (not yet registered or swapped in),
    /// from the slot's directory or from <paramref name="target"/>'s.
    /// </summary>
    private (PluginGeneration? Generation, string? Error) Build(PluginSlot slot, ManagedTarget? target = null)
    {
        if (CheckBeforeLoad(slot, target) is { } refusal)
        {
            return (null, refusal);
        }

        var parsed = ManifestParser.ParseDirectory(target?.Directory ?? slot.Directory);
        if (parsed.Manifest is not { } manifest)
        {
            return (null, parsed.Error);
        }

        if (!string.Equals(manifest.Id, slot.Id, StringComparison.Ordinal))
        {
            return (null, $"the manifest id changed from '{slot.Id}' to '{manifest.Id}'; restart the host to pick up a renamed plugin");
        }

        slot.Manifest = manifest;
        string error;
        WeakReference? unloaded = null;
        try
        {
            var generation = _activator.Activate(manifest, slot.GenerationCount + 1);
            slot.GenerationCount++;
            return (generation, null);
        }
        catch (PluginLoadException ex)
        {
            error = ex.Message;
            unloaded = ex.LoadContext;
        }
        catch (Exception ex)
        {
            error = $"unexpected error while loading: {PluginActivator.Describe(ex)}";
        }

        // Verified outside the catch blocks: while one runs, the runtime still tracks the exceptions
        // being handled, and the plugin's own exception (whose stack trace pins its context) among them.
        return (null, unloaded is null ? error : VerifyFailedActivation(slot, unloaded, error));
    }

    // Not async: no state machine of StartAsync keeps a generation.
    private void StartChannels(PluginSlot slot)
    {
        if (slot.Current is { } generation)
        {
            StartChannels(slot, generation);
        }
    }

    private void StartChannels(PluginSlot slot, PluginGeneration generation)
    {
        if (!_channelsStarted)
        {
            return;
        }

        var logger = _loggerFactory.CreateLogger<ChannelSupervisor>();
        foreach (var entry in generation.Channels.Values)
        {
            if (entry.Supervisor is not null || (!entry.Capabilities.Inbound && !entry.AcceptsWebhooks))
            {
                continue;
            }

            var supervisor = new ChannelSupervisor(
                entry.Channel, entry.Id, slot.Id, _router.CreateSink(entry.Id), generation.EnterReflection,
                _options, _time, logger, _observer, generation.Stopping);
            entry.Supervisor = supervisor;
            supervisor.Start();
        }
    }

    /// <summary>
    /// Installs <paramref name="next"/> (whose names the caller has claimed), stops the old channel
    /// loops before the new ones start (two loops must never read the same source), then retires the
    /// old generation. Returns only a weak reference: this frame must not keep the old generation alive.
    /// </summary>
    private async Task<WeakReference?> SwapAsync(PluginSlot slot, PluginGeneration next)
    {
        var old = slot.Swap(next);
        slot.Warnings = next.Warnings;
        if (old is not null)
        {
            await old.StopChannelsAsync(_options.StopTimeout);
        }

        StartChannels(slot, next);
        if (old is null)
        {
            return null;
        }

        var weak = await RetireAsync(slot, old, stopChannelsFirst: false);
        old = null;
        return weak;
    }

    /// <summary>Detaches the current generation, unregisters it and retires it; then verifies.</summary>
    private async Task DeactivateAsync(PluginSlot slot, PluginState target, string reason)
    {
        var watch = Stopwatch.StartNew();
        slot.SetState(PluginState.Unloading, reason);
        var weak = await DetachAsync(slot);
        await OffTheStack();
        Verify(slot, weak, target, target == PluginState.Disabled || target == PluginState.Faulted ? reason : null, silentOnSuccess: false, watch);
    }

    private async Task<WeakReference?> DetachAsync(PluginSlot slot)
    {
        _registrations.Release(slot);
        var old = slot.Swap(null);
        if (old is null)
        {
            return null;
        }

        var weak = await RetireAsync(slot, old, stopChannelsFirst: true);
        old = null;
        return weak;
    }

    private async Task<WeakReference> RetireAsync(PluginSlot slot, PluginGeneration generation, bool stopChannelsFirst)
    {
        if (stopChannelsFirst)
        {
            await generation.StopChannelsAsync(_options.StopTimeout);
        }

        var weak = await generation.ShutdownAsync(_options.DrainTimeout, _options.StopTimeout, _logger);
        _logger.LogDebug("plugin {PluginId}: generation {Generation} shut down", slot.Id, generation.Number);
        return weak;
    }

    /// <summary>
    /// Continues on a fresh thread-pool stack. When the shutdown completes, the rest of this method
    /// runs as a synchronous continuation *inside* the frames of the async methods that held the
    /// generation (their state machines are cleared only after their continuations return), and a
    /// debug JIT keeps their locals alive to the end of those frames: verifying there reports a leak
    /// that is not one. Yielding lets that stack unwind first.
    /// </summary>
    private static YieldAwaitable OffTheStack() => Task.Yield();

    /// <summary>
    /// Rule 10: after the generation is gone from every host structure, prove the load context was
    /// collected. Publishes <c>unloaded</c> (with milliseconds) or <c>leaked</c>.
    /// </summary>
    /// <returns>True when collected.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Verify(PluginSlot slot, WeakReference? weak, PluginState target, string? reason, bool silentOnSuccess, Stopwatch? watch = null)
    {
        if (weak is null)
        {
            slot.SetState(target, reason);
            return true;
        }

        var result = UnloadVerifier.Verify(weak, _options.UnloadGcIterations);
        var total = watch?.Elapsed.TotalMilliseconds ?? result.Milliseconds;
        slot.RecordUnload(result with { Milliseconds = total });
        if (result.Collected)
        {
            if (slot.HasLeaked && slot.Current is null)
            {
                // This generation went away, an earlier one did not: still no reload in place.
                slot.SetState(PluginState.Leaked, EarlierLeak);
            }
            else
            {
                slot.SetState(target, reason);
            }

            if (!silentOnSuccess)
            {
                _logger.LogInformation("plugin {PluginId} unloaded in {UnloadMs:0.0} ms ({Iterations} GC)", slot.Id, total, result.GcIterations);
                _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Unloaded, null, total)
                {
                    Data = new Dictionary<string, string> { ["gcIterations"] = result.GcIterations.ToString(CultureInfo.InvariantCulture) },
                });
            }

            return true;
        }

        var message = LeakMessage(result.GcIterations);
        slot.HasLeaked = true;
        slot.RecordError(message);
        if (slot.Current is null)
        {
            slot.SetState(PluginState.Leaked, message);
        }

        _logger.LogError("plugin {PluginId} leaked: {Reason}", slot.Id, message);
        _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Leaked, message, total));
        return false;
    }

    /// <summary>
    /// A failed activation has already unloaded what it loaded, but the plugin's code may have run (a
    /// startup that hooked a process event and then threw), so the unload is verified like any other
    /// (rule 10). A leak marks the slot: it is not loaded again in place, and every retry would leak
    /// one more context.
    /// </summary>
    /// <returns>The reason to report: the failure, plus the leak if there was one.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private string VerifyFailedActivation(PluginSlot slot, WeakReference context, string reason)
    {
        var result = UnloadVerifier.Verify(context, _options.UnloadGcIterations);
        slot.RecordUnload(result);
        if (result.Collected)
        {
            return reason;
        }

        slot.HasLeaked = true;
        var message = $"{reason}; then {LeakMessage(result.GcIterations)}";
        _logger.LogError("plugin {PluginId} leaked after a failed activation: {Reason}", slot.Id, message);
        _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Leaked, message, result.Milliseconds));
        return message;
    }

    private const string EarlierLeak = "an earlier load of this plugin leaked its load context; restart the host before loading it again";

    private static string LeakMessage(int gcIterations) =>
        $"the load context is still alive after {gcIterations} full GCs: something outside the plugin " +
        "still references it (an event subscription, a timer, a static cache); restart the host to reclaim it";

    private async Task FaultAsync(PluginSlot slot)
    {
        await slot.Lifecycle.WaitAsync();
        try
        {
            if (slot.Current is null)
            {
                return;
            }

            var reason = $"deactivated after {_options.FaultAfter} consecutive tool failures; last: {slot.LastError}";
            _logger.LogError("plugin {PluginId} faulted: {Reason}", slot.Id, reason);
            await DeactivateAsync(slot, PluginState.Faulted, reason);
            _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Failed, reason));
        }
        finally
        {
            slot.Lifecycle.Release();
        }
    }

    private async Task ReloadFromWatchAsync(string id)
    {
        if (!_slots.TryGetValue(id, out var slot) || slot.State is PluginState.Disabled or PluginState.Leaked or PluginState.Unloaded)
        {
            return;
        }

        _logger.LogInformation("files of plugin {PluginId} changed; reloading", id);
        var result = await ReloadAsync(id);
        if (!result.Succeeded)
        {
            _logger.LogWarning("automatic reload of plugin {PluginId}: {Message}", id, result.Message);
        }
    }

    private void Fail(PluginSlot slot, string reason)
    {
        slot.RecordError(reason);
        slot.SetState(slot.HasLeaked && slot.Current is null ? PluginState.Leaked : PluginState.Failed, reason);
        _logger.LogError("plugin {PluginId} failed: {Reason}", slot.Id, reason);
        _observer.OnEvent(new PluginLifecycleEvent(slot.Id, PluginLifecycleEventKind.Failed, reason)
        {
            Data = new Dictionary<string, string> { ["directory"] = slot.Directory },
        });
    }

    private static PluginInfo Describe(PluginSlot slot)
    {
        var manifest = slot.Manifest;
        var current = slot.Current;
        var kinds = new List<string>();
        if (manifest is not null)
        {
            if (manifest.Kind.HasFlag(PluginKind.Channel))
            {
                kinds.Add("channel");
            }

            if (manifest.Kind.HasFlag(PluginKind.Tool))
            {
                kinds.Add("tool");
            }
        }

        return new PluginInfo(
            slot.Id,
            slot.State.ToWire(),
            slot.State == PluginState.Active ? null : slot.Reason,
            manifest?.Name,
            current?.Manifest.Version ?? manifest?.Version,
            Source(slot),
            slot.Directory,
            kinds,
            manifest?.Capabilities ?? PluginCapabilities.None,
            slot.LoadMs,
            slot.UnloadMs,
            slot.ErrorCount,
            slot.LastError,
            slot.Warnings,
            current?.Tools.Keys.Order(StringComparer.Ordinal).ToList() ?? [],
            current?.Channels.Keys.Order(StringComparer.Ordinal).ToList() ?? [],
            slot.GenerationCount,
            current?.InFlight ?? 0,
            current?.ActivatedAt,
            slot.LastUnload,
            DescribeManaged(slot));
    }

    private static string Source(PluginSlot slot) => SourceName(slot.Source);

    private static string FolderId(string directory) => Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)).ToLowerInvariant();

    private PluginOperationResult Ok(PluginSlot slot, string message) => new(PluginOperationCodes.Ok, message, Describe(slot));

    private PluginOperationResult Leaked(PluginSlot slot) =>
        new(PluginOperationCodes.Leaked, $"plugin '{slot.Id}' leaked its load context earlier; restart the host before loading it again", Describe(slot));

    private static PluginOperationResult NotFound(string id) => new(PluginOperationCodes.NotFound, $"no plugin '{id}'", null);
}
