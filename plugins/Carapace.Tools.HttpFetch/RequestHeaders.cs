using System.Text.Json;

namespace Carapace.Tools.HttpFetch;

/// <summary>
/// Checks the caller's request headers before anything is sent. The host's guard already refuses the
/// headers that change what is connected to or how the message is framed; this adds the ones a tool
/// call has no business setting:
/// <list type="bullet">
/// <item>hop-by-hop and framing headers, <c>Host</c>, <c>Proxy-*</c> (also refused by the host, refused here
/// first so the caller gets one clear message);</item>
/// <item><c>Authorization</c> and <c>Cookie</c>: tool arguments are written by a model or a chat user and
/// are kept in conversation history and logs, which is no place for credentials. A plugin that needs to
/// authenticate should take its secret from <c>IPluginContext.Credentials</c> by name instead.</item>
/// </list>
/// <c>Content-Type</c> is lifted out: it describes the body and travels as the request's content type.
/// </summary>
internal static class RequestHeaders
{
    public const int MaxValueLength = 8192;

    private static readonly HashSet<string> Refused = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Authorization", "Cookie", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer",
        "Upgrade", "Expect", "Content-Length", "Proxy-Authorization", "Proxy-Connection",
    };

    /// <summary>The headers to send and the body's content type.</summary>
    /// <param name="headers">The <c>headers</c> argument (an object of strings), or an undefined element.</param>
    /// <param name="error">Why the headers are refused; null when they are accepted.</param>
    public static (Dictionary<string, string> Headers, string? ContentType) Read(JsonElement headers, out string? error)
    {
        error = null;
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? contentType = null;
        if (headers.ValueKind != JsonValueKind.Object)
        {
            return (result, null);
        }

        foreach (var header in headers.EnumerateObject())
        {
            var name = header.Name;
            if (!IsToken(name))
            {
                error = "a header name is not a valid HTTP token";
                return (result, null);
            }

            if (Refused.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase))
            {
                error = $"header '{name}' may not be set by a tool call";
                return (result, null);
            }

            if (header.Value.ValueKind != JsonValueKind.String || header.Value.GetString() is not { } value)
            {
                error = $"header '{name}' must be a string";
                return (result, null);
            }

            if (value.Length > MaxValueLength || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                error = $"header '{name}' has a value that is too long or contains a line break";
                return (result, null);
            }

            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
                continue;
            }

            if (!result.TryAdd(name, value))
            {
                error = $"header '{name}' is given twice";
                return (result, null);
            }
        }

        return (result, contentType);
    }

    // RFC 9110 token: visible ASCII except delimiters.
    private static bool IsToken(string name)
    {
        if (name.Length is 0 or > 256)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is <= ' ' or >= '\u007f' || "\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
