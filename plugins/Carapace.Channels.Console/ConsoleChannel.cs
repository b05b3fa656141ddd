using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Hosting;

namespace Carapace.Channels.Console;

/// <summary>
/// Lines typed on the host's stdin become messages from the local operator; replies go to stdout.
/// Local channel: allowFrom defaults to allow, tools still need <c>channels:console:tools</c>.
/// </summary>
internal sealed class ConsoleChannel(IPluginContext context) : IChannel
{
    public const string ChannelId = "console";

    // The operator of this terminal; shown in logs and matched by channels:console:allowFrom.
    private readonly string _sender = context.Configuration["sender"] ?? "operator";

    public string Id => ChannelId;

    public ChannelCapabilities Capabilities { get; } = new(Inbound: true, Outbound: true, IsLocal: true);

    public async Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken)
    {
        var input = System.Console.In;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Console.In blocks and ignores tokens. The read runs as a bound BCL delegate so that no
            // frame of this plugin sits on the blocked thread's stack, and without our execution
            // context (which names this plugin's load context for contextual reflection): either
            // would keep the plugin alive after it is stopped. A line typed while the channel is
            // being stopped may be lost.
            Task<string?> read;
            using (ExecutionContext.SuppressFlow())
            {
                read = Task.Run(input.ReadLine, CancellationToken.None);
            }

            var line = await read.WaitAsync(cancellationToken);
            if (line is null)
            {
                // End of input (stdin closed or redirected from an empty file): stay quiet until stopped.
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return;
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            var message = new InboundMessage(ChannelId, ChannelId, _sender, line, context.TimeProvider.GetUtcNow());
            await inbound.DeliverAsync(message, cancellationToken);
        }
    }

    public async Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        await System.Console.Out.WriteLineAsync(message.Text.AsMemory(), cancellationToken);
        await System.Console.Out.FlushAsync(cancellationToken);
    }
}
