namespace Carapace.Host.Outbound;

/// <summary>
/// What an error message may say about a URL: scheme, host and port. Paths are left out as well as
/// query and userinfo because APIs put tokens in paths (e.g. <c>/bot&lt;token&gt;/sendMessage</c>).
/// </summary>
internal static class UrlRedaction
{
    public static string Origin(Uri uri) =>
        uri.IsAbsoluteUri ? $"{uri.Scheme}://{uri.IdnHostForDisplay()}:{uri.Port}" : "(relative url)";

    private static string IdnHostForDisplay(this Uri uri) =>
        uri.HostNameType == UriHostNameType.IPv6 ? "[" + StripZone(uri.IdnHost) + "]" : uri.IdnHost;

    private static string StripZone(string host)
    {
        var percent = host.IndexOf('%', StringComparison.Ordinal);
        return percent < 0 ? host : host[..percent];
    }
}
