namespace Carapace.Abstractions.Webhooks;

/// <summary>
/// The plugin's answer. The host forwards only allowlisted headers (content-type and <c>x-plugin-*</c>
/// among them) and always applies its own security headers.
/// </summary>
public sealed record WebhookResponse(int StatusCode, string? ContentType, ReadOnlyMemory<byte> Body)
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public static WebhookResponse Status(int statusCode) => new(statusCode, null, ReadOnlyMemory<byte>.Empty);
}
