using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Webhooks;

namespace StubbornChannelPlugin;

/// <summary>
/// SendAsync and <c>POST /hang</c> ignore their cancellation token and finish only when
/// <c>POST /release</c> opens the gate: the host must keep its hold on the plugin until then.
/// </summary>
internal sealed class StubbornChannel : IChannel, IWebhookReceiver
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id => "stubborn-channel";

    public ChannelCapabilities Capabilities { get; } = new(Inbound: false, Outbound: true, IsLocal: false);

    public async Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken) =>
        await Task.Delay(Timeout.Infinite, cancellationToken);

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken) => _gate.Task;

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Path == "/release")
        {
            _gate.TrySetResult();
            return WebhookResponse.Status(200);
        }

        await _gate.Task;
        return WebhookResponse.Status(200);
    }
}
