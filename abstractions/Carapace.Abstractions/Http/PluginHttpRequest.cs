namespace Carapace.Abstractions.Http;

/// <summary>An outbound request, message-shaped (no streams) so it can cross a process boundary later.</summary>
/// <param name="Method">HTTP method (GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS).</param>
/// <param name="Url">Absolute http(s) URL.</param>
public sealed record PluginHttpRequest(string Method, string Url)
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Request body; at most 10 MiB.</summary>
    public ReadOnlyMemory<byte> Body { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>Content type of <see cref="Body"/>.</summary>
    public string? ContentType { get; init; }

    /// <summary>Per-request timeout; the host caps it and applies 30 s when unset.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Follow up to 5 redirects, re-validating every hop. Off by default.</summary>
    public bool FollowRedirects { get; init; }
}
