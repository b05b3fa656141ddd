namespace Carapace.Tools.HttpFetch;

/// <summary>
/// Keeps the requested URL's path and query out of failure messages. The host's messages already name
/// only the origin; this is a second line, so a different <c>IPluginHttp</c> (or a future message) cannot
/// leak a token placed in a query string into logs and conversation history through this tool.
/// </summary>
internal static class UrlRedaction
{
    private const string Hidden = "…";

    public static string Redact(string message, string url)
    {
        var result = message;
        var question = url.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0 && question < url.Length - 1)
        {
            result = result.Replace(url[question..], "?" + Hidden, StringComparison.Ordinal);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.PathAndQuery == "/")
        {
            return result;
        }

        // Longest first, so the query is not cut out of a path-and-query that is replaced whole.
        foreach (var secret in new[] { uri.AbsoluteUri, uri.OriginalString, uri.PathAndQuery, uri.Query, uri.AbsolutePath }
                     .Where(s => s.Length > 1 && s != "/")
                     .Distinct(StringComparer.Ordinal)
                     .OrderByDescending(s => s.Length))
        {
            var replacement = secret.StartsWith('?') ? "?" + Hidden
                : secret.StartsWith('/') ? "/" + Hidden
                : uri.GetLeftPart(UriPartial.Authority) + "/" + Hidden;
            result = result.Replace(secret, replacement, StringComparison.Ordinal);
        }

        return result;
    }
}
