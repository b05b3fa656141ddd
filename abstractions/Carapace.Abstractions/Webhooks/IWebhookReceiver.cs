namespace Carapace.Abstractions.Webhooks;

/// <summary>
/// Implemented by a channel that accepts inbound HTTP. The host routes
/// <c>/plugins/&lt;plugin-id&gt;/&lt;path&gt;</c> to it after its own body cap and rate limit;
/// the receiver authenticates the request itself (shared secret or signature).
/// </summary>
public interface IWebhookReceiver
{
    Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken);
}
