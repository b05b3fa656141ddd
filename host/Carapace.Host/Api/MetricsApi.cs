using Carapace.Host.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary><c>GET /control/metrics</c>: Prometheus text format 0.0.4 (authenticated, like all of /control).</summary>
internal static class MetricsApi
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder control)
    {
        control.MapGet("/metrics", async (HttpContext context, GatewayMetrics metrics) =>
        {
            using var buffer = new MemoryStream();
            await metrics.ExportAsync(buffer, context.RequestAborted);
            return Results.Bytes(buffer.ToArray(), ContentType);
        });
        return control;
    }
}
