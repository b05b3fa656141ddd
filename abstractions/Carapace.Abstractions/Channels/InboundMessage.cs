namespace Carapace.Abstractions.Channels;

/// <summary>A message received by a channel.</summary>
/// <param name="ChannelId">Channel that received it.</param>
/// <param name="ConversationId">Where replies go (chat id, webhook callback key, "console").</param>
/// <param name="SenderId">Who sent it, as the channel identifies senders; matched against <c>allowFrom</c>.</param>
/// <param name="Text">Message text.</param>
/// <param name="ReceivedAt">When the channel received it.</param>
public sealed record InboundMessage(
    string ChannelId,
    string ConversationId,
    string SenderId,
    string Text,
    DateTimeOffset ReceivedAt);
