namespace Carapace.Abstractions.Channels;

/// <summary>A message to send through a channel.</summary>
/// <param name="ConversationId">Target conversation on that channel.</param>
/// <param name="Text">Message text.</param>
public sealed record OutboundMessage(string ConversationId, string Text);
