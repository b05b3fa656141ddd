namespace Carapace.Abstractions.Channels;

/// <summary>What a channel can do.</summary>
/// <param name="Inbound">It receives messages.</param>
/// <param name="Outbound">It can send messages.</param>
/// <param name="IsLocal">Messages come only from the local operator (console); non-local channels deny senders by default.</param>
public sealed record ChannelCapabilities(bool Inbound, bool Outbound, bool IsLocal);
