using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Security;

/// <summary>
/// Upstream's security headers on every response the application writes, errors and 401/429 included:
/// they are set from an OnStarting callback, which still runs after the exception handler has cleared
/// the response. Deviations from upstream: no <c>X-XSS-Protection</c> (deprecated; the auditor it
/// configured is gone from browsers and could be abused to blank pages), <c>Cache-Control: no-store</c>
/// on control responses, and HSTS whenever the request arrived over TLS.
/// </summary>
internal static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' wss: ws:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public const string PermissionsPolicy =
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

    public const string StrictTransportSecurity = "max-age=31536000; includeSubDomains";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                Apply((HttpContext)state);
                return Task.CompletedTask;
            }, context);
            return next(context);
        });

    private static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
        headers["Permissions-Policy"] = PermissionsPolicy;
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = StrictTransportSecurity;
        }

        if (IsControlPath(context.Request.Path))
        {
            headers.CacheControl = "no-store";
        }
    }

    /// <summary><c>/control</c> or below, in any letter case (routing matches case-insensitively too).</summary>
    public static bool IsControlPath(PathString path) =>
        path.StartsWithSegments("/control", StringComparison.OrdinalIgnoreCase);
}
