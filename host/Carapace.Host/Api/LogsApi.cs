using Carapace.Host.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary><c>GET /control/logs?n=200[&amp;after=SEQ]</c>: the newest entries of the in-memory ring buffer.</summary>
internal static class LogsApi
{
    public const int DefaultCount = 200;
    public const int MaxCount = 10_000;

    public static IEndpointRouteBuilder MapLogs(this IEndpointRouteBuilder control)
    {
        control.MapGet("/logs", (HttpRequest request, LogRingBuffer ring) =>
        {
            if (!TryReadLong(request, "n", DefaultCount, out var count) || count is < 1 or > MaxCount)
            {
                return ControlProblem.BadRequest("invalid_request", $"query parameter 'n' must be a whole number from 1 to {MaxCount}");
            }

            if (!TryReadLong(request, "after", 0, out var after) || after < 0)
            {
                return ControlProblem.BadRequest("invalid_request", "query parameter 'after' must be a non-negative sequence number");
            }

            return TypedResults.Ok(ring.Snapshot((int)count, after));
        });
        return control;
    }

    private static bool TryReadLong(HttpRequest request, string name, long fallback, out long value)
    {
        var raw = request.Query[name];
        if (raw.Count == 0)
        {
            value = fallback;
            return true;
        }

        return long.TryParse(raw.ToString(), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out value) && raw.Count == 1;
    }
}
