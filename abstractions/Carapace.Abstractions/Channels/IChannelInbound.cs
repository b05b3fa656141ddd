namespace Carapace.Abstractions.Channels;

/// <summary>
/// The host's sink for inbound messages. The router applies channel policy (<c>allowFrom</c>,
/// <c>tools</c>), runs a <c>/tool</c> command if the message is one, and answers through the same
/// channel. The returned task completes when the message has been handled (reply sent or refused);
/// a channel that must answer its transport quickly should queue messages and deliver them from its loop.
/// </summary>
public interface IChannelInbound
{
    /// <param name="message">The message; the host overwrites <see cref="InboundMessage.ChannelId"/> with the
    /// id of the channel that delivered it, so a channel cannot speak for another.</param>
    /// <param name="cancellationToken">Usually the token the channel's loop received.</param>
    ValueTask DeliverAsync(InboundMessage message, CancellationToken cancellationToken);
}
