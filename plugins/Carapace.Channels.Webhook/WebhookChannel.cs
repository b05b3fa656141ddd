using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Webhooks;
using Microsoft.Extensions.Logging;

namespace Carapace.Channels.Webhook;

/// <summary>
/// Inbound: <c>POST /plugins/webhook/&lt;endpoint&gt;</c> with a JSON body <c>{"text": "...", "conversation": "..."}</c>
/// (or a text/plain body), authenticated per endpoint. Accepted messages are queued and answered
/// 202 at once; the channel loop delivers them to the router. The sender id is the endpoint name
/// (what the secret proves), so <c>channels:webhook:allowFrom</c> lists endpoint names.
/// Outbound: <c>{"conversation": "...", "text": "..."}</c> POSTed to the endpoint's <c>outboundUrl</c>.
/// </summary>
internal sealed class WebhookChannel : IChannel, IWebhookReceiver
{
    public const string ChannelId = "webhook";
    private const int MaxTextLength = 16 * 1024;

    private readonly IPluginContext _context;
    private readonly ILogger<WebhookChannel> _logger;
    private readonly IReadOnlyDictionary<string, WebhookEndpoint> _endpoints;
    private readonly Channel<InboundMessage> _queue = Channel.CreateBounded<InboundMessage>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    // Set once the host has stopped the receive loop; not when the loop crashed (the host restarts it
    // and delivers what was queued meanwhile), nor before it first starts: the host starts it right
    // after activation, and refusing requests until then would race a caller that is already sending.
    private volatile bool _stopped;

    // Checked against when the endpoint is unknown: a secret nobody has, so it never matches.
    private static readonly WebhookEndpoint Decoy = new(
        "", WebhookAuth.Hmac, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), WebhookEndpoint.DefaultSignatureHeader, null);

    public WebhookChannel(IPluginContext context, ILogger<WebhookChannel> logger)
    {
        _context = context;
        _logger = logger;
        _endpoints = WebhookEndpoint.Read(context.Configuration);
    }

    public string Id => ChannelId;

    public ChannelCapabilities Capabilities { get; } = new(Inbound: true, Outbound: true, IsLocal: false);

    public async Task RunAsync(IChannelInbound inbound, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                await inbound.DeliverAsync(message, cancellationToken);
            }
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _stopped = true;
            }
        }
    }

    public Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        // Authentication comes first, as upstream: an unknown endpoint answers the same 401 as a wrong
        // secret (after the same amount of work), so an unauthenticated caller cannot list the endpoints.
        var name = request.Path.Trim('/');
        var known = _endpoints.TryGetValue(name, out var endpoint);
        if (!WebhookAuthenticator.IsAuthentic(endpoint ?? Decoy, request.Headers, request.Body.Span) || !known)
        {
            _logger.LogWarning("webhook endpoint {Endpoint}: rejected a request from {Remote} ({Why})", Printable(name), request.RemoteAddress,
                known ? $"bad or missing {endpoint!.Header}" : "no such endpoint");
            return Task.FromResult(Problem(401, "unauthorized", "Unauthorized", "authentication failed"));
        }

        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(Problem(405, "method_not_allowed", "Method Not Allowed", "only POST is accepted"));
        }

        if (!TryReadMessage(request, out var text, out var conversation, out var error))
        {
            return Task.FromResult(Problem(400, "invalid_request", "Bad Request", error));
        }

        if (_stopped || _context.Stopping.IsCancellationRequested)
        {
            return Task.FromResult(Problem(503, "channel_not_running", "Unavailable", "the webhook channel is stopped"));
        }

        var conversationId = conversation is null ? name : $"{name}:{conversation}";
        var message = new InboundMessage(ChannelId, conversationId, name, text, _context.TimeProvider.GetUtcNow());
        return Task.FromResult(_queue.Writer.TryWrite(message) ? Accepted() : Problem(429, "queue_full", "Too Many Requests", "too many messages queued"));
    }

    // The path is the caller's text: cut it and keep control characters out of the log line.
    private static string Printable(string name) =>
        new(name.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public async Task SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var separator = message.ConversationId.IndexOf(':', StringComparison.Ordinal);
        var name = separator < 0 ? message.ConversationId : message.ConversationId[..separator];
        var conversation = separator < 0 ? null : message.ConversationId[(separator + 1)..];
        if (!_endpoints.TryGetValue(name, out var endpoint))
        {
            throw new InvalidOperationException($"no webhook endpoint '{name}'");
        }

        if (endpoint.OutboundUrl is null)
        {
            throw new InvalidOperationException($"webhook endpoint '{name}' has no outboundUrl");
        }

        var payload = new JsonObject { ["conversation"] = conversation ?? name, ["text"] = message.Text };
        var request = new PluginHttpRequest("POST", endpoint.OutboundUrl.AbsoluteUri)
        {
            Body = Encoding.UTF8.GetBytes(payload.ToJsonString()),
            ContentType = "application/json",
        };
        var response = await _context.Http.SendAsync(request, cancellationToken);
        if (response.StatusCode is < 200 or > 299)
        {
            throw new InvalidOperationException($"webhook endpoint '{name}': outbound POST answered {response.StatusCode}");
        }
    }

    private static bool TryReadMessage(WebhookRequest request, out string text, out string? conversation, out string error)
    {
        text = string.Empty;
        conversation = null;
        error = string.Empty;
        var contentType = request.Headers.TryGetValue("content-type", out var ct) ? ct : string.Empty;
        if (contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            text = Encoding.UTF8.GetString(request.Body.Span);
        }
        else
        {
            try
            {
                using var doc = JsonDocument.Parse(request.Body);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                {
                    error = "body must be a JSON object with a string 'text'";
                    return false;
                }

                text = t.GetString()!;
                if (root.TryGetProperty("conversation", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() is { Length: > 0 and <= 128 } conv)
                {
                    conversation = conv;
                }
            }
            catch (JsonException)
            {
                error = "body is not valid JSON";
                return false;
            }
        }

        if (text.Length is 0 or > MaxTextLength)
        {
            error = $"text must be 1 to {MaxTextLength} characters";
            return false;
        }

        return true;
    }

    private static WebhookResponse Accepted() => Json(202, new JsonObject { ["status"] = "accepted" });

    // The gateway's error shape (problem+json with a stable code), so a webhook caller sees one format whoever answers.
    private static WebhookResponse Problem(int status, string code, string title, string detail) =>
        Json(status, new JsonObject
        {
            ["type"] = $"https://carapace.dev/problems/{code}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
        }, "application/problem+json");

    private static WebhookResponse Json(int status, JsonObject body, string contentType = "application/json") =>
        new(status, contentType, Encoding.UTF8.GetBytes(body.ToJsonString()));
}
