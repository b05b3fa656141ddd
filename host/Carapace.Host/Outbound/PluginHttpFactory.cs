using System.Collections.Concurrent;
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
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, RollingWindowRateLimiter> _limiters = new(StringComparer.Ordinal);

    public PluginHttpFactory(SafeHttp http, IAuditLog audit, IOptions<OutboundOptions> options, TimeProvider time)
        : this(http, audit, options.Value.PluginRequestsPerMinute, time)
    {
    }

    internal PluginHttpFactory(SafeHttp http, IAuditLog audit, int defaultPerMinute, TimeProvider time)
    {
        _http = http;
        _audit = audit;
        _defaultPerMinute = defaultPerMinute;
        _time = time;
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

        // A changed limit (new manifest) gets a fresh limiter; an unchanged one keeps its history.
        var limiter = _limiters.AddOrUpdate(
            pluginId,
            _ => CreateLimiter(perMinute, _time),
            (_, existing) => existing.PermitLimit == perMinute ? existing : CreateLimiter(perMinute, _time));
        return new PluginHttp(pluginId, grants, limiter, _http, new ThrottledDenialAudit(_audit, _time, d => PluginHttp.DenialKind(ThrottledDenialAudit.Reason(d))));
    }

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }

        _limiters.Clear();
    }

    /// <summary>At most <paramref name="perMinute"/> requests in any rolling minute.</summary>
    internal static RollingWindowRateLimiter CreateLimiter(int perMinute, TimeProvider time) =>
        new(perMinute, TimeSpan.FromMinutes(1), time);
}
