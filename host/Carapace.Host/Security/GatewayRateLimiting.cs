using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Carapace.Host.Api;
using Carapace.Host.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Host.Security;

/// <summary>
/// Per-client token buckets with ASP.NET Core's rate limiter (upstream's defaults: 100/s with a burst
/// of 200; 50/s with a burst of 100 for tool invocation and plugin webhooks). The client is the
/// address from <see cref="ClientAddress"/> (socket peer, or the first untrusted forwarded hop behind
/// a trusted proxy). Loopback clients (127.0.0.1 and ::1 exactly, as for local-direct auth) are exempt unless
/// <c>gateway.rateLimit.exemptLoopback: false</c>: they are this machine, whose CLI and UI should not
/// be throttled. A request carrying any forwarding header (<c>X-Forwarded-For</c>, <c>X-Real-IP</c>,
/// <c>Forwarded</c>, …) is never exempt, whoever sent it: it was relayed, typically by a reverse proxy on this
/// machine that is not listed in <c>gateway.trustedProxies</c>, and its real senders must not inherit
/// loopback's privilege (it is limited in a bucket of its own). Auth-failure throttling is separate and
/// does apply to loopback.
/// </summary>
internal static class GatewayRateLimiting
{
    public const string Code = "rate_limit_exceeded";

    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services, RateLimitSettings settings)
    {
        if (!settings.Enabled)
        {
            return services;
        }

        var general = Bucket(settings.RequestsPerSecond, settings.Burst);
        var invoke = Bucket(settings.InvokeRequestsPerSecond, settings.InvokeBurst);
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, RateKey>(context =>
            {
                var client = ClientAddress.Of(context);
                var isInvoke = IsInvokeRoute(context.Request.Path);
                var exempt = settings.ExemptLoopback && client.IsLoopback && !Auth.LocalDirectRequest.IsForwarded(context.Request.Headers);
                // Exemption is part of the key: a partition's limiter is created once, by the first request with that key.
                var key = new RateKey(client.Key, isInvoke, exempt);
                return exempt
                    ? RateLimitPartition.GetNoLimiter(key)
                    : RateLimitPartition.GetTokenBucketLimiter(key, k => k.Invoke ? invoke : general);
            });
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = static (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                    : 1;
                var limit = IsInvokeRoute(context.Request.Path) ? "invoke" : "default";
                context.RequestServices.GetRequiredService<GatewayMetrics>().RateLimited(limit);
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ControlProblem.Create(StatusCodes.Status429TooManyRequests, Code, "Too many requests",
                        $"Rate limit exceeded; retry after {seconds} s.",
                        new Dictionary<string, object?> { ["retryAfter"] = seconds })
                    .ExecuteAsync(context));
            };
        });
        return services;
    }

    public static IApplicationBuilder UseGatewayRateLimiting(this IApplicationBuilder app, RateLimitSettings settings) =>
        settings.Enabled ? app.UseRateLimiter() : app;

    /// <summary><c>/control/tools/{name}/invoke</c> and <c>/plugins/...</c>, in any letter case.</summary>
    public static bool IsInvokeRoute(PathString path)
    {
        if (path.StartsWithSegments("/plugins", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!path.StartsWithSegments("/control/tools", StringComparison.OrdinalIgnoreCase, out var rest) || !rest.HasValue)
        {
            return false;
        }

        // rest is "/{name}/invoke" or "/{name}/invoke/".
        var segments = rest.Value.AsSpan(1).TrimEnd('/');
        var slash = segments.IndexOf('/');
        return slash > 0 && segments[(slash + 1)..].Equals("invoke", StringComparison.OrdinalIgnoreCase);
    }

    // Replenished by the partitioned limiter's own 100 ms heartbeat (AutoReplenishment off), so there
    // is no timer per client; idle, full buckets are dropped after a while, which bounds memory.
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) =>
        perSecond % 10 == 0
            ? new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst, TokensPerPeriod = perSecond / 10, ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = 0, AutoReplenishment = false,
            }
            : new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst, TokensPerPeriod = perSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0, AutoReplenishment = false,
            };

    private readonly record struct RateKey(IPAddress Client, bool Invoke, bool Exempt);
}
