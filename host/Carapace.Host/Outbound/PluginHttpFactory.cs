using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Carapace.Abstractions.Http;
using Carapace.Host.Audit;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Outbound;

/// <summary>
/// Creates the <see cref="IPluginHttp"/> the plugin runtime puts in a plugin's context. Rate limiters
/// live here, keyed by plugin id, so disabling and re-enabling a plugin does not refill its budget.
/// </summary>
internal sealed class PluginHttpFactory : IDisposable
{
    private readonly SafeHttp _http;
    private readonly IAuditLog _audit;
    private readonly int _defaultPerMinute;
    private readonly Func<int, RateLimiter> _limiterFactory;
    private readonly ConcurrentDictionary<string, (int PerMinute, RateLimiter Limiter)> _limiters = new(StringComparer.Ordinal);

    public PluginHttpFactory(SafeHttp http, IAuditLog audit, IOptions<OutboundOptions> options)
        : this(http, audit, options.Value.PluginRequestsPerMinute, CreateLimiter)
    {
    }

    /// <param name="limiterFactory">Tests pass limiters with <c>AutoReplenishment = false</c>.</param>
    internal PluginHttpFactory(SafeHttp http, IAuditLog audit, int defaultPerMinute, Func<int, RateLimiter> limiterFactory)
    {
        _http = http;
        _audit = audit;
        _defaultPerMinute = defaultPerMinute;
        _limiterFactory = limiterFactory;
    }

    /// <summary>
    /// The plugin's outbound HTTP. With no grants (the plugin lacks the <c>http</c> capability) every
    /// request is denied and audited.
    /// </summary>
    /// <param name="pluginId">The id from <c>plugin.yaml</c>.</param>
    /// <param name="grantPatterns">URL patterns (see <see cref="UrlGrant"/>); null or empty: no capability.</param>
    /// <param name="requestsPerMinute">Override of <c>network.pluginRequestsPerMinute</c> (default 100).</param>
    /// <exception cref="FormatException">A pattern is invalid: refuse to load the plugin.</exception>
    public IPluginHttp Create(string pluginId, IEnumerable<string>? grantPatterns, int? requestsPerMinute = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginId);
        var grants = (grantPatterns ?? []).Select(UrlGrant.Parse).ToList();
        var perMinute = requestsPerMinute ?? _defaultPerMinute;
        if (perMinute <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(requestsPerMinute), "rate limit must be positive");
        }

        var entry = _limiters.AddOrUpdate(
            pluginId,
            _ => (perMinute, _limiterFactory(perMinute)),
            (_, existing) =>
            {
                if (existing.PerMinute == perMinute)
                {
                    return existing;
                }

                existing.Limiter.Dispose();
                return (perMinute, _limiterFactory(perMinute));
            });
        return new PluginHttp(pluginId, grants, entry.Limiter, _http, _audit);
    }

    public void Dispose()
    {
        foreach (var (_, limiter) in _limiters.Values)
        {
            limiter.Dispose();
        }

        _limiters.Clear();
    }

    /// <summary>Sliding window: at most <paramref name="perMinute"/> requests in any minute (to a 10 s step).</summary>
    internal static RateLimiter CreateLimiter(int perMinute) => CreateLimiter(perMinute, autoReplenishment: true);

    internal static RateLimiter CreateLimiter(int perMinute, bool autoReplenishment) =>
        new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
            AutoReplenishment = autoReplenishment,
        });
}
