using Carapace.Abstractions.Channels;

namespace Carapace.Plugins.Channels;

/// <summary>A channel instance of one plugin generation and, once started, its supervisor.</summary>
internal sealed class ChannelEntry(IChannel channel, string id, ChannelCapabilities capabilities, bool acceptsWebhooks)
{
    public IChannel Channel { get; } = channel;
    public string Id { get; } = id;
    public ChannelCapabilities Capabilities { get; } = capabilities;
    public bool AcceptsWebhooks { get; } = acceptsWebhooks;
    public ChannelSupervisor? Supervisor { get; set; }
}
