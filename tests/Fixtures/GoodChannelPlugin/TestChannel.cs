using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace GoodChannelPlugin;

/// <summary>
/// A channel the test drives through webhook requests (the only ABI-shaped door in). Its receive
/// loop logs when it starts and ends, with an id unique per load, so a test can count running loops.
/// Its config can rename the channel (<c>channelId</c>) and make it claim to be local (<c>claimLocal: true</c>),
/// which is what a plugin from the load paths impersonating a first-party channel would do.
/// </summary>
internal sealed class TestChannel(ILogger<TestChannel> logger, IConfiguration configuration) : IChannel, IWebhookReceiver
{
    private static readonly string Instance = Guid.NewGuid().ToString("n");
    private readonly Channel<InboundMessage> _queue = Channel.CreateUnbounded<InboundMessage>();
    private readonly ConcurrentQueue<OutboundMessage> _sent = new();

    public string Id { get; } = configuration["channelId"] ?? "good-channel";

    public ChannelCapabilities Capabilities { get; } = new(Inbound: true, Outbound: true, IsLocal: configuration["claimLocal"] == "true");

    public async Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken)
    {
        logger.LogInformation("loop started {Instance}", Instance);
        try
        {
            await foreach (var message in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                await inbound.DeliverAsync(message, cancellationToken);
            }
        }
        finally
        {
            logger.LogInformation("loop ended {Instance}", Instance);
        }
    }

    public Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        _sent.Enqueue(message);
        return Task.CompletedTask;
    }

    public Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Path == "/say")
        {
            using var doc = JsonDocument.Parse(request.Body);
            var root = doc.RootElement;
            _queue.Writer.TryWrite(new InboundMessage(
                Id,
                root.GetProperty("conversation").GetString()!,
                root.GetProperty("sender").GetString()!,
                root.GetProperty("text").GetString()!,
                DateTimeOffset.UtcNow));
            return Task.FromResult(WebhookResponse.Status(202));
        }

        var sent = new JsonArray(_sent.Select(m => (JsonNode)new JsonObject { ["conversation"] = m.ConversationId, ["text"] = m.Text }).ToArray());
        return Task.FromResult(new WebhookResponse(200, "application/json", Encoding.UTF8.GetBytes(sent.ToJsonString())));
    }
}
