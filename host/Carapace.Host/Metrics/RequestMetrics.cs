using Microsoft.AspNetCore.Builder;

namespace Carapace.Host.Metrics;

/// <summary>Counts every response by route template and status; outermost, so refusals (429, 403, 431) count too.</summary>
internal static class RequestMetrics
{
    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app, GatewayMetrics metrics) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                metrics.RequestCompleted(context);
            }
        });
}
