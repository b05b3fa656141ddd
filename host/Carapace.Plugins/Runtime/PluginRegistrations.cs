using Carapace.Plugins.Channels;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// Claims tool names and channel ids for a plugin, atomically across plugins. Every plugin has its
/// own lifecycle lock, so two plugins can be enabled at the same moment; checking for a clash and
/// registering must therefore be one step, or both could pass the check and the second registration
/// would throw (a 500, with the plugin stuck in <c>loading</c>).
/// </summary>
internal sealed class PluginRegistrations(ToolRegistry tools, ChannelRegistry channels)
{
    private readonly object _sync = new();

    // Channel id -> the bundled plugin it belongs to. Kept even while that plugin is disabled (the console
    // is, by default): the operator's channels.<id> policy was written for the first-party channel, so no
    // other plugin may take the id over.
    private readonly Dictionary<string, string> _bundledChannels = new(StringComparer.Ordinal);

    /// <summary>Reserves <paramref name="channelIds"/> for the bundled plugin <paramref name="pluginId"/>.</summary>
    public void ReserveBundledChannels(string pluginId, IEnumerable<string> channelIds)
    {
        lock (_sync)
        {
            foreach (var id in channelIds)
            {
                _bundledChannels.TryAdd(id, pluginId);
            }
        }
    }

    /// <summary>
    /// Makes exactly <paramref name="toolNames"/> and <paramref name="channelIds"/> point at
    /// <paramref name="slot"/>, or changes nothing and says which name another plugin already provides.
    /// </summary>
    /// <returns>Null when registered; otherwise the conflict, as a reason for the operator.</returns>
    public string? TryClaim(PluginSlot slot, IReadOnlyCollection<string> toolNames, IReadOnlyCollection<string> channelIds)
    {
        lock (_sync)
        {
            var conflict = BundledChannelConflict(slot, channelIds) ?? tools.FindConflict(slot, toolNames) ?? channels.FindConflict(slot, channelIds);
            if (conflict is not null)
            {
                return conflict;
            }

            tools.Register(slot, toolNames);
            channels.Register(slot, channelIds);
            if (slot.Source == PluginSource.Bundled)
            {
                foreach (var id in channelIds)
                {
                    _bundledChannels.TryAdd(id, slot.Id);
                }
            }

            return null;
        }
    }

    private string? BundledChannelConflict(PluginSlot slot, IReadOnlyCollection<string> channelIds)
    {
        if (slot.Source == PluginSource.Bundled)
        {
            return null;
        }

        foreach (var id in channelIds)
        {
            if (_bundledChannels.TryGetValue(id, out var owner))
            {
                return $"channel '{id}' belongs to the bundled plugin '{owner}'; plugin '{slot.Id}' (source: {PluginRuntime.SourceName(slot.Source)}) cannot provide it (the channel policy channels.{id} was written for the first-party channel)";
            }
        }

        return null;
    }

    /// <summary>Removes every name and id of <paramref name="slot"/>.</summary>
    public void Release(PluginSlot slot)
    {
        lock (_sync)
        {
            tools.Unregister(slot);
            channels.Unregister(slot);
        }
    }
}
