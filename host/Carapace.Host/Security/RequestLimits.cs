using Carapace.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Carapace.Host.Security;

/// <summary>A route's own request-body cap (endpoint metadata honoured by routing and by <see cref="RequestLimits"/>).</summary>
internal sealed class BodyLimit(long maxRequestBodySize) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize { get; } = maxRequestBodySize;
}

/// <summary>
/// Request size limits. Kestrel enforces hard limits while parsing (and answers those with a bare
/// status and a closed connection, before any middleware could shape the reply); it is configured
/// with twice the configured header limits as a backstop, and the configured limits are checked here
/// so an ordinary oversize request gets a problem+json 431. Bodies: every route is capped at
/// <c>gateway.limits.maxBodyBytes</c> (256 KiB) unless it declares its own with
/// <see cref="WithBodyLimit{TBuilder}"/>; a declared <c>Content-Length</c> over the cap is refused with
/// 413 before authentication, a chunked body when reading crosses the cap.
/// </summary>
internal static class RequestLimits
{
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long maxBytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(maxBytes));

    public static void Configure(KestrelServerLimits kestrel, RequestLimitSettings settings)
    {
        kestrel.MaxRequestBodySize = settings.MaxBodyBytes;
        kestrel.MaxRequestHeaderCount = settings.MaxHeaderCount * 2;
        kestrel.MaxRequestHeadersTotalSize = settings.MaxHeaderBytes * 2;
        kestrel.MaxRequestLineSize = 8 * 1024;
        kestrel.RequestHeadersTimeout = settings.RequestHeadersTimeout;
        kestrel.KeepAliveTimeout = settings.KeepAliveTimeout;
        kestrel.MaxConcurrentConnections = settings.MaxConnections;
        kestrel.MaxConcurrentUpgradedConnections = settings.MaxConnections;
        // Slow bodies: Kestrel's default minimum data rate (240 B/s after a 5 s grace) stays in force.
    }

    /// <summary>431 problem+json for more headers, or more header bytes, than configured. Before routing.</summary>
    public static IApplicationBuilder UseRequestHeaderLimits(this IApplicationBuilder app, RequestLimitSettings settings) =>
        app.Use((context, next) =>
        {
            var headers = context.Request.Headers;
            if (headers.Count > settings.MaxHeaderCount || HeaderBytes(headers, settings.MaxHeaderBytes) > settings.MaxHeaderBytes)
            {
                context.Response.Headers.Connection = "close";
                return ProblemStatusCodes.ForStatus(StatusCodes.Status431RequestHeaderFieldsTooLarge).ExecuteAsync(context);
            }

            return next(context);
        });

    /// <summary>Applies the route's body cap and refuses a declared oversize body with 413. After routing, before auth.</summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            var declared = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize;
            if (feature is { IsReadOnly: false } && declared is not null)
            {
                feature.MaxRequestBodySize = declared;
            }

            var cap = feature?.MaxRequestBodySize;
            if (cap is not null && context.Request.ContentLength > cap)
            {
                context.Response.Headers.Connection = "close";
                return ProblemStatusCodes.ForStatus(StatusCodes.Status413PayloadTooLarge).ExecuteAsync(context);
            }

            return next(context);
        });

    private static long HeaderBytes(IHeaderDictionary headers, int stopAfter)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            total += name.Length + 4;
            foreach (var value in values)
            {
                total += value?.Length ?? 0;
            }

            if (total > stopAfter)
            {
                break;
            }
        }

        return total;
    }
}
