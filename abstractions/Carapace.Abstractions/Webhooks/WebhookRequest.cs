namespace Carapace.Abstractions.Webhooks;

/// <summary>An inbound HTTP request, copied out of ASP.NET Core so no host object reaches the plugin.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path below <c>/plugins/&lt;id&gt;</c>, starting with '/'.</param>
/// <param name="Query">Raw query string including '?', or empty.</param>
/// <param name="Headers">Request headers (names lower-cased; repeated values joined with ", ").</param>
/// <param name="Body">Request body (already capped by the host).</param>
/// <param name="RemoteAddress">Client IP as the host resolved it.</param>
public sealed record WebhookRequest(
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body,
    string RemoteAddress);
