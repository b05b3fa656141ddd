using System.Globalization;
using Carapace.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Carapace.Host.Security;

/// <summary>Marks endpoints of the control API (CSRF applies to them whatever the path spelling).</summary>
internal sealed class ControlEndpointMetadata
{
    public static ControlEndpointMetadata Instance { get; } = new();
}

/// <summary>
/// Cross-site request forgery check for state-changing control requests (every method but GET, HEAD,
/// OPTIONS and TRACE). Browsers send <c>Origin</c> on such requests; if it (or, without it, the
/// <c>Referer</c>) names an origin other than this gateway's own, the request is refused with 403
/// <c>csrf_origin_mismatch</c> before authentication. Requests with neither header (curl, <c>cara</c>) pass:
/// they are not made by a browser on a page's behalf. Stricter than upstream, which compares host names
/// only and admits subdomains: here scheme, host and port must all match, because any other local web
/// page (<c>http://localhost:3000</c>, <c>http://evil.localhost</c>) is another origin. Reverse proxies
/// that change the visible origin list it in <c>gateway.csrf.allowedOrigins</c>. In addition, any control
/// request a browser marks <c>Sec-Fetch-Site: cross-site</c> or <c>same-site</c> is refused, whatever
/// the method. Runs after routing so that every path spelling that reaches a control endpoint is covered.
/// </summary>
internal static class CsrfProtection
{
    public const string Code = "csrf_origin_mismatch";

    public static IApplicationBuilder UseCsrfProtection(this IApplicationBuilder app, IReadOnlyList<string> allowedOrigins,
        Metrics.GatewayMetrics metrics, ILogger logger) =>
        app.Use((context, next) =>
        {
            if (!AppliesTo(context))
            {
                return next(context);
            }

            var verdict = CrossSiteFetch(context.Request)
                          ?? (IsSafeMethod(context.Request.Method) ? null : Check(context.Request, allowedOrigins));
            if (verdict is null)
            {
                return next(context);
            }

            metrics.CsrfRejected();
            logger.LogWarning("CSRF check refused {Method} {Path} from {ClientIp}: {Reason}",
                context.Request.Method, context.Request.Path.Value, ClientAddress.Of(context).Text, verdict);
            return ControlProblem.Forbidden(Code,
                "The request's Origin (or Referer) is not this gateway; cross-site requests cannot change state.")
                .ExecuteAsync(context);
        });

    public static bool IsSafeMethod(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    internal static bool AppliesTo(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ControlEndpointMetadata>() is not null
        || SecurityHeaders.IsControlPath(context.Request.Path);

    /// <summary>
    /// Fetch metadata: a browser marks every request with where it came from. The control API is never
    /// embedded in another site, so a cross-site or same-site (another port or subdomain) request is
    /// refused whatever its method, before it could read anything or count as a failed login.
    /// </summary>
    private static string? CrossSiteFetch(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"];
        return site.Count == 0 || site is ["same-origin"] or ["none"] ? null : $"Sec-Fetch-Site: {site}";
    }

    /// <summary>Null when the request may proceed, else why not.</summary>
    internal static string? Check(HttpRequest request, IReadOnlyList<string> allowedOrigins)
    {
        var origin = request.Headers.Origin;
        string? source;
        StringValues presented;
        if (origin.Count > 0)
        {
            (source, presented) = ("Origin", origin);
        }
        else if (request.Headers.Referer.Count > 0)
        {
            (source, presented) = ("Referer", request.Headers.Referer);
        }
        else
        {
            return null;
        }

        if (presented.Count != 1 || !TryNormalizeOrigin(presented[0], out var claimed))
        {
            return $"unparsable or repeated {source} header";
        }

        var own = OwnOrigin(request);
        if (own is not null && string.Equals(claimed, own, StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var allowed in allowedOrigins)
        {
            if (string.Equals(claimed, allowed, StringComparison.Ordinal))
            {
                return null;
            }
        }

        return $"{source} {claimed} is not {own ?? "(no Host header)"}";
    }

    /// <summary>
    /// Reduces an Origin or Referer to <c>scheme://host:port</c> (lower case, explicit port). Only http and
    /// https count; <c>null</c> (an opaque origin) and anything else fails.
    /// </summary>
    public static bool TryNormalizeOrigin(string? text, out string origin)
    {
        origin = string.Empty;
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.UserInfo.Length > 0
            || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        return TryCompose(uri, out origin);
    }

    // IdnHost throws for host names IDNA rejects (found by the config fuzz test); such an origin matches nothing.
    private static bool TryCompose(Uri uri, out string origin)
    {
        try
        {
            origin = Compose(uri.Scheme, uri.IdnHost, uri.Port);
            return true;
        }
        catch (UriFormatException)
        {
            origin = string.Empty;
            return false;
        }
    }

    private static string? OwnOrigin(HttpRequest request)
    {
        if (!request.Host.HasValue)
        {
            return null;
        }

        var scheme = request.IsHttps ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        var host = request.Host.Host;
        if (host.Length == 0)
        {
            return null;
        }

        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        // Reuse Uri's normalisation (IPv6 brackets, IDN, case) so both sides compare alike.
        var text = string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}:{port}/");
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && TryCompose(uri, out var own) ? own : null;
    }

    private static string Compose(string scheme, string host, int port)
    {
        var bracketed = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        return string.Create(CultureInfo.InvariantCulture, $"{scheme}://{bracketed.ToLowerInvariant()}:{port}");
    }
}
