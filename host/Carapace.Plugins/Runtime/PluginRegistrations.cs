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

    /// <summary>
    /// Makes exactly <paramref name="toolNames"/> and <paramref name="channelIds"/> point at
    /// <paramref name="slot"/>, or changes nothing and says which name another plugin already provides.
    /// </summary>
    /// <returns>Null when registered; otherwise the conflict, as a reason for the operator.</returns>
    public string? TryClaim(PluginSlot slot, IReadOnlyCollection<string> toolNames, IReadOnlyCollection<string> channelIds)
    {
        lock (_sync)
        {
            var conflict = tools.FindConflict(slot, toolNames) ?? channels.FindConflict(slot, channelIds);
            if (conflict is not null)
            {
                return conflict;
            }

            tools.Register(slot, toolNames);
            channels.Register(slot, channelIds);
            return null;
        }
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
