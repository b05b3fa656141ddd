using System.Globalization;

namespace Carapace.Host.Outbound;

/// <summary>
/// One URL pattern a plugin was granted: <c>[scheme://]host[:port][/path-prefix]</c>.
/// <list type="bullet">
/// <item>Scheme: https when omitted; an <c>http://</c> grant also admits https to the same host.</item>
/// <item>Host: exact (case-insensitive, IDN-normalised), <c>*.example.com</c> (any subdomain at any depth,
/// not the apex), or <c>*</c> (any host; the SSRF guard still applies).</item>
/// <item>Port: the scheme's default when omitted.</item>
/// <item>Path prefix: matched on whole segments of the normalised path (<c>/v1</c> admits <c>/v1</c> and
/// <c>/v1/x</c>, not <c>/v10</c>); paths with encoded slashes or backslashes never match a prefix.</item>
/// </list>
/// No other wildcards, no userinfo, query or fragment.
/// </summary>
internal sealed class UrlGrant
{
    private UrlGrant(string pattern, string scheme, string host, bool anySubdomain, bool anyHost, int? port, string pathPrefix)
    {
        Pattern = pattern;
        Scheme = scheme;
        Host = host;
        AnySubdomain = anySubdomain;
        AnyHost = anyHost;
        Port = port;
        PathPrefix = pathPrefix;
    }

    public string Pattern { get; }
    public string Scheme { get; }
    public string Host { get; }
    public bool AnySubdomain { get; }
    public bool AnyHost { get; }
    public int? Port { get; }
    public string PathPrefix { get; }

    /// <exception cref="FormatException">The pattern is not a valid grant.</exception>
    public static UrlGrant Parse(string pattern)
    {
        var text = pattern?.Trim() ?? "";
        if (text.Length == 0)
        {
            throw Bad(pattern, "empty");
        }

        if (text.IndexOfAny(['?', '#', '@', '\\']) >= 0)
        {
            throw Bad(pattern, "query, fragment, userinfo and backslashes are not allowed");
        }

        var scheme = Uri.UriSchemeHttps;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            scheme = text[..schemeEnd].ToLowerInvariant();
            if (scheme != Uri.UriSchemeHttps && scheme != Uri.UriSchemeHttp)
            {
                throw Bad(pattern, "scheme must be http or https");
            }

            text = text[(schemeEnd + 3)..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? text : text[..slash];
        var path = slash < 0 ? "/" : text[slash..];

        var anyHost = false;
        var anySubdomain = false;
        var placeholder = authority;
        if (authority == "*" || authority.StartsWith("*:", StringComparison.Ordinal))
        {
            anyHost = true;
            placeholder = "any.invalid" + authority[1..];
        }
        else if (authority.StartsWith("*.", StringComparison.Ordinal))
        {
            anySubdomain = true;
            placeholder = authority[2..];
        }

        if (placeholder.Contains('*', StringComparison.Ordinal) || path.Contains('*', StringComparison.Ordinal))
        {
            throw Bad(pattern, "'*' is only allowed as the whole host or as a leading '*.' label; paths are prefixes");
        }

        if (!Uri.TryCreate($"{scheme}://{placeholder}{path}", UriKind.Absolute, out var uri) || uri.IdnHost.Length == 0)
        {
            throw Bad(pattern, "not a valid URL pattern");
        }

        var explicitPort = uri.IsDefaultPort && !HasExplicitPort(placeholder) ? (int?)null : uri.Port;
        var prefix = uri.AbsolutePath.TrimEnd('/');
        return new UrlGrant(
            pattern!.Trim(),
            scheme,
            anyHost ? "*" : NormalizeHost(uri),
            anySubdomain,
            anyHost,
            explicitPort,
            prefix.Length == 0 ? "/" : prefix);
    }

    public bool Matches(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return false;
        }

        var schemeOk = uri.Scheme == Scheme || (Scheme == Uri.UriSchemeHttp && uri.Scheme == Uri.UriSchemeHttps);
        if (!schemeOk)
        {
            return false;
        }

        if (Port is { } port ? uri.Port != port : !uri.IsDefaultPort)
        {
            return false;
        }

        var host = NormalizeHost(uri);
        var hostOk = AnyHost
            || (AnySubdomain ? host.EndsWith("." + Host, StringComparison.Ordinal) : host == Host);
        return hostOk && PathMatches(uri.AbsolutePath);
    }

    /// <summary>True when every URL <paramref name="other"/> admits is also admitted by this pattern.</summary>
    public bool Covers(UrlGrant other)
    {
        var schemeOk = other.Scheme == Scheme || (Scheme == Uri.UriSchemeHttp && other.Scheme == Uri.UriSchemeHttps);
        if (!schemeOk || (Port is { } port ? other.Port != port : other.Port is not null))
        {
            return false;
        }

        var hostOk = AnyHost
            || (!other.AnyHost && (AnySubdomain
                ? other.Host.EndsWith("." + Host, StringComparison.Ordinal) || (other.AnySubdomain && other.Host == Host)
                : !other.AnySubdomain && other.Host == Host));
        return hostOk && (PathPrefix == "/" || other.PathPrefix == PathPrefix
                          || other.PathPrefix.StartsWith(PathPrefix + "/", StringComparison.Ordinal));
    }

    public override string ToString() => Pattern;

    private bool PathMatches(string path)
    {
        if (PathPrefix == "/")
        {
            return true;
        }

        if (path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return path == PathPrefix || path.StartsWith(PathPrefix + "/", StringComparison.Ordinal);
    }

    private static string NormalizeHost(Uri uri)
    {
        var host = uri.IdnHost;
        var percent = host.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0 && uri.HostNameType == UriHostNameType.IPv6)
        {
            host = host[..percent];
        }

        return HostNamePolicy.Normalize(host);
    }

    private static bool HasExplicitPort(string authority)
    {
        var colon = authority.LastIndexOf(':');
        var bracket = authority.LastIndexOf(']');
        return colon > bracket && int.TryParse(authority[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _);
    }

    private static FormatException Bad(string? pattern, string why) => new($"invalid http grant '{pattern}': {why}");
}
