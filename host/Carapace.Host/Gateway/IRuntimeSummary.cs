using Carapace.Protocol.Status;

namespace Carapace.Host.Gateway;

/// <summary>Plugin and channel counts for <c>/control/status</c>; the plugin runtime provides the real one.</summary>
internal interface IRuntimeSummary
{
    PluginCounts Plugins { get; }
    ChannelCounts Channels { get; }
}

/// <summary>Used until a plugin runtime is registered.</summary>
internal sealed class EmptyRuntimeSummary : IRuntimeSummary
{
    public PluginCounts Plugins { get; } = new(0, 0, 0);
    public ChannelCounts Channels { get; } = new(0, 0);
}
