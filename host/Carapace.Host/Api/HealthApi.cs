using Carapace.Host.Gateway;
using Carapace.Protocol.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary>Public, unauthenticated probes. They reveal only status, version and uptime.</summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", (GatewayClock clock) =>
            TypedResults.Ok(new HealthResponse("ok", CarapaceVersion.Current, clock.UptimeSeconds)));
        routes.MapGet("/health/live", (GatewayClock clock) =>
            TypedResults.Ok(new HealthResponse("ok", CarapaceVersion.Current, clock.UptimeSeconds)));
        routes.MapGet("/health/ready", (GatewayClock clock, IEnumerable<IReadinessCheck> checks, HttpResponse response) =>
        {
            var reasons = checks.SelectMany(c => c.NotReadyReasons()).ToList();
            if (reasons.Count == 0)
            {
                return Results.Ok(new ReadyResponse("ready", CarapaceVersion.Current, clock.UptimeSeconds, reasons));
            }

            response.Headers.RetryAfter = "5";
            return Results.Json(
                new ReadyResponse("not_ready", CarapaceVersion.Current, clock.UptimeSeconds, reasons),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return routes;
    }
}
