namespace Carapace.Abstractions.Channels;

/// <summary>The host's sink for inbound messages; the router applies channel policy.</summary>
public interface IChannelInbound
{
    ValueTask DeliverAsync(InboundMessage message, CancellationToken cancellationToken);
}
