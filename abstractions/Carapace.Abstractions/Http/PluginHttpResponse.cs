namespace Carapace.Abstractions.Http;

/// <summary>A completed response; bodies over the cap are refused, never silently truncated.</summary>
public sealed record PluginHttpResponse(
    int StatusCode,
    IReadOnlyDictionary<string, string> Headers,
    string? ContentType,
    ReadOnlyMemory<byte> Body,
    string FinalUrl);
