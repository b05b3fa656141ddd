using Carapace.Abstractions;
using Carapace.Abstractions.Channels;
using Carapace.Host.Audit;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Runtime;

namespace Carapace.Host.PluginHosting;

/// <summary>
/// A plugin's <c>IChannelOutbox</c>: it may send through the channels it provides itself (a channel
/// replying in its own conversations) and through those granted by <c>capabilities.channels</c> and
/// <c>plugins.&lt;id&gt;.grants.channels</c>. Anything else throws <see cref="CapabilityDeniedException"/>
/// and is audited as <c>capability_denied</c>, so a tool plugin cannot use a channel to reach people the
/// channel's policy never let it reach.
/// </summary>
internal sealed class GrantedOutbox(string pluginId, IReadOnlyList<string> granted, Func<PluginRuntime> runtime, IAuditLog audit) : IChannelOutbox
{
    public const string Capability = "channels";

    public async Task SendAsync(string channelId, OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var host = runtime();
        if (!IsAllowed(host, channelId))
        {
            var reason = granted.Count == 0
                ? $"the plugin was not granted the '{Capability}' capability (sending through channel '{channelId}')"
                : $"channel '{channelId}' is not among the channels granted to the plugin ({string.Join(", ", granted)})";
            audit.Write(AuditEvents.CapabilityDenied, new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["plugin_id"] = pluginId,
                ["capability"] = Capability,
                ["channel"] = channelId,
                ["reason"] = reason,
            });
            throw new CapabilityDeniedException(pluginId, Capability, reason);
        }

        var result = await host.SendAsync(channelId, message, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"sending through channel '{channelId}' failed ({result.Code}): {result.Error}");
        }
    }

    private bool IsAllowed(PluginRuntime host, string channelId) =>
        granted.Contains(PluginCapabilities.AnyChannel)
        || granted.Contains(channelId, StringComparer.Ordinal)
        || string.Equals(host.ChannelOwner(channelId), pluginId, StringComparison.Ordinal);
}
