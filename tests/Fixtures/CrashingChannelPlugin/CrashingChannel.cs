using Carapace.Abstractions.Channels;

namespace CrashingChannelPlugin;

internal sealed class CrashingChannel : IChannel
{
    public string Id => "crashing-channel";

    public ChannelCapabilities Capabilities { get; } = new(Inbound: true, Outbound: true, IsLocal: false);

    public async Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken)
    {
        await Task.Yield();
        throw new CrashingChannelException("the transport went away");
    }

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A plugin-defined exception type: it must never reach a host structure.</summary>
public sealed class CrashingChannelException(string message) : Exception(message);
