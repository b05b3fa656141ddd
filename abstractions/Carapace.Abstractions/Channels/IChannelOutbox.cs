namespace Carapace.Abstractions.Channels;

/// <summary>Lets a plugin send a message out through any active channel.</summary>
public interface IChannelOutbox
{
    Task SendAsync(string channelId, OutboundMessage message, CancellationToken cancellationToken);
}
