using System.Collections.Concurrent;
using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Webhooks;
using Carapace.Plugins.Activation;
using Carapace.Plugins.Runtime;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Channels;

/// <summary>
/// Channel id → plugin slot, and plugin id → webhook receiver. Sends and webhook requests run on
/// the slot's current generation under a lease, with the runtime's call timeout.
/// </summary>
internal sealed class ChannelRegistry(PluginRuntimeOptions options, ILogger<ChannelRegistry> logger)
{
    private readonly ConcurrentDictionary<string, PluginSlot> _channels = new(StringComparer.Ordinal);
    private readonly object _registration = new();

    public IReadOnlyList<ChannelInfo> List()
    {
        var list = new List<ChannelInfo>();
        foreach (var (id, slot) in _channels)
        {
            if (slot.Current is { } generation && generation.Channels.TryGetValue(id, out var entry))
            {
                list.Add(Describe(slot, entry));
            }
        }

        return list.OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
    }

    public ChannelInfo? Get(string id) =>
        _channels.TryGetValue(id, out var slot) && slot.Current is { } generation && generation.Channels.TryGetValue(id, out var entry)
            ? Describe(slot, entry)
            : null;

    /// <summary>The plugin that has claimed <paramref name="channelId"/>, active or not; null when none has.</summary>
    public string? OwnerOf(string channelId) => _channels.TryGetValue(channelId, out var slot) ? slot.Id : null;

    public string? FindConflict(PluginSlot slot, IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            if (_channels.TryGetValue(id, out var owner) && !ReferenceEquals(owner, slot))
            {
                return $"channel '{id}' is already provided by plugin '{owner.Id}'";
            }
        }

        return null;
    }

    public void Register(PluginSlot slot, IReadOnlyCollection<string> ids)
    {
        lock (_registration)
        {
            var conflict = FindConflict(slot, ids);
            if (conflict is not null)
            {
                throw new InvalidOperationException(conflict);
            }

            foreach (var (id, owner) in _channels)
            {
                if (ReferenceEquals(owner, slot) && !ids.Contains(id))
                {
                    _channels.TryRemove(id, out _);
                }
            }

            foreach (var id in ids)
            {
                _channels[id] = slot;
            }
        }
    }

    public void Unregister(PluginSlot slot)
    {
        lock (_registration)
        {
            foreach (var (id, owner) in _channels)
            {
                if (ReferenceEquals(owner, slot))
                {
                    _channels.TryRemove(id, out _);
                }
            }
        }
    }

    public async Task<ChannelSendResult> SendAsync(string channelId, OutboundMessage message, CancellationToken cancellationToken = default)
    {
        if (!_channels.TryGetValue(channelId, out var slot) || !slot.TryAcquire(out var generation))
        {
            return new ChannelSendResult(ChannelResultCodes.ChannelNotFound, channelId, null, $"no active channel '{channelId}'");
        }

        var release = true;
        CancellationTokenSource? cts = null;
        try
        {
            if (!generation.Channels.TryGetValue(channelId, out var entry))
            {
                return new ChannelSendResult(ChannelResultCodes.ChannelNotFound, channelId, slot.Id, $"plugin '{slot.Id}' no longer provides channel '{channelId}'");
            }

            if (!entry.Capabilities.Outbound)
            {
                return new ChannelSendResult(ChannelResultCodes.NotOutbound, channelId, slot.Id, $"channel '{channelId}' cannot send messages");
            }

            cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, generation.Stopping);
            cts.CancelAfter(options.ToolTimeout);
            Task? task = null;
            try
            {
                task = Start(generation, () => entry.Channel.SendAsync(message, cts.Token));
                await task.WaitAsync(cts.Token);
                return new ChannelSendResult(ChannelResultCodes.Ok, channelId, slot.Id, null);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                release = !HoldUntilDone(generation, task, cts);
                var error = $"channel '{channelId}' did not send within {options.ToolTimeout.TotalSeconds:0.###} s";
                slot.RecordError(error);
                return new ChannelSendResult(ChannelResultCodes.ChannelTimeout, channelId, slot.Id, error);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                release = !HoldUntilDone(generation, task, cts);
                throw;
            }
            catch (Exception ex)
            {
                var error = $"channel '{channelId}' of plugin '{slot.Id}' failed to send: {PluginActivator.Describe(ex)}";
                slot.RecordError(error);
                logger.LogWarning("{Error}", error);
                return new ChannelSendResult(ChannelResultCodes.ChannelFailed, channelId, slot.Id, error);
            }
        }
        finally
        {
            if (release)
            {
                cts?.Dispose();
                generation.Exit();
            }
        }
    }

    /// <summary>Handles <c>/plugins/&lt;pluginId&gt;/...</c>; the host has already capped the body.</summary>
    public async Task<WebhookDispatchResult> DispatchWebhookAsync(PluginSlot? slot, string pluginId, WebhookRequest request, CancellationToken cancellationToken = default)
    {
        if (slot is null || !slot.TryAcquire(out var generation))
        {
            return new WebhookDispatchResult(ChannelResultCodes.WebhookNotFound, pluginId, null, $"no active plugin '{pluginId}'");
        }

        var release = true;
        CancellationTokenSource? cts = null;
        try
        {
            if (generation.Webhook is not { } receiver)
            {
                return new WebhookDispatchResult(ChannelResultCodes.WebhookNotFound, pluginId, null, $"plugin '{pluginId}' does not accept webhooks");
            }

            cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, generation.Stopping);
            cts.CancelAfter(options.ToolTimeout);
            Task<WebhookResponse>? task = null;
            try
            {
                task = Start(generation, () => receiver.HandleAsync(request, cts.Token));
                var response = await task.WaitAsync(cts.Token);
                return response is null
                    ? new WebhookDispatchResult(ChannelResultCodes.WebhookFailed, pluginId, null, "the receiver returned no response")
                    : new WebhookDispatchResult(ChannelResultCodes.Ok, pluginId, Copy(response), null);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                release = !HoldUntilDone(generation, task, cts);
                var error = $"webhook receiver of plugin '{pluginId}' did not answer within {options.ToolTimeout.TotalSeconds:0.###} s";
                slot.RecordError(error);
                return new WebhookDispatchResult(ChannelResultCodes.WebhookTimeout, pluginId, null, error);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                release = !HoldUntilDone(generation, task, cts);
                throw;
            }
            catch (Exception ex)
            {
                var error = $"webhook receiver of plugin '{pluginId}' failed: {PluginActivator.Describe(ex)}";
                slot.RecordError(error);
                logger.LogWarning("{Error}", error);
                return new WebhookDispatchResult(ChannelResultCodes.WebhookFailed, pluginId, null, error);
            }
        }
        finally
        {
            if (release)
            {
                cts?.Dispose();
                generation.Exit();
            }
        }
    }

    /// <summary>
    /// The caller stops waiting, the plugin may not have: if its task is still running, the lease
    /// (and the token source the plugin holds) pass to a continuation that releases them when the
    /// plugin's code really returns, so an unload cannot overlap it.
    /// </summary>
    /// <returns>True when the hold was handed over (the caller must not release it).</returns>
    private static bool HoldUntilDone(PluginGeneration generation, Task? pluginWork, CancellationTokenSource cts)
    {
        if (pluginWork is null || pluginWork.IsCompleted)
        {
            return false;
        }

        generation.ExitWhenDone(pluginWork, cts);
        return true;
    }

    public ChannelCapabilities? GetCapabilities(string channelId) =>
        _channels.TryGetValue(channelId, out var slot) && slot.Current is { } generation && generation.Channels.TryGetValue(channelId, out var entry)
            ? entry.Capabilities
            : null;

    /// <summary>
    /// Whether the channel counts as local (senders allowed without <c>allowFrom</c>). A plugin only
    /// claims <c>IsLocal</c>; the host believes the claim from a bundled (first-party) plugin alone, or any
    /// plugin from the load paths could open itself to every sender by saying so.
    /// </summary>
    public bool IsTrustedLocal(string channelId) =>
        _channels.TryGetValue(channelId, out var slot) && slot.Source == PluginSource.Bundled
        && GetCapabilities(channelId)?.IsLocal == true;

    private static Task<T> Start<T>(PluginGeneration generation, Func<Task<T>> call)
    {
        using (generation.EnterReflection())
        {
            return call() ?? Task.FromResult<T>(default!);
        }
    }

    private static Task Start(PluginGeneration generation, Func<Task> call)
    {
        using (generation.EnterReflection())
        {
            return call() ?? Task.CompletedTask;
        }
    }

    /// <summary>
    /// A host-owned copy: the plugin's header dictionary or body memory may be of plugin-defined
    /// types, and the host may keep the response longer than the plugin lives.
    /// </summary>
    private static WebhookResponse Copy(WebhookResponse response) =>
        new(response.StatusCode, response.ContentType, response.Body.ToArray())
        {
            Headers = response.Headers is null ? new Dictionary<string, string>() : new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase),
        };

    private static ChannelInfo Describe(PluginSlot slot, ChannelEntry entry)
    {
        var supervisor = entry.Supervisor;
        var state = supervisor?.State ?? ChannelRunState.Stopped;
        return new ChannelInfo(
            entry.Id,
            slot.Id,
            state.ToString().ToLowerInvariant(),
            supervisor?.Restarts ?? 0,
            supervisor?.LastError,
            entry.Capabilities.Inbound,
            entry.Capabilities.Outbound,
            entry.Capabilities.IsLocal && slot.Source == PluginSource.Bundled,
            entry.AcceptsWebhooks);
    }
}
