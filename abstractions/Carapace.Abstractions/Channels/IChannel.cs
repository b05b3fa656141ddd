namespace Carapace.Abstractions.Channels;

/// <summary>
/// How messages arrive and leave. The host starts a channel with an inbound sink, restarts its
/// loop with back-off if it crashes, and stops it (cancelling the token) before unloading the plugin.
/// </summary>
public interface IChannel
{
    /// <summary>Channel id, unique in the host (usually the plugin id, e.g. <c>console</c>).</summary>
    string Id { get; }

    ChannelCapabilities Capabilities { get; }

    /// <summary>
    /// Runs the channel's receive loop until <paramref name="cancellationToken"/> fires. Each inbound
    /// message goes to <paramref name="inbound"/>. Returning or throwing before cancellation counts as a crash.
    /// </summary>
    Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken);

    /// <summary>Delivers a message to a conversation on this channel.</summary>
    Task SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}
