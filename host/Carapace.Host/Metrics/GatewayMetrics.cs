using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Carapace.Host.Metrics;

/// <summary>
/// The gateway's Prometheus metrics, exported by <c>GET /control/metrics</c> (authenticated: unlike
/// upstream's public <c>/metrics</c>, because route and failure counts help an attacker map the host).
/// prometheus-net writes the text exposition format; each gateway has its own registry so that two
/// gateways in one process (tests) never share counts.
/// <para>
/// Extension seam: any component (plugin runtime, sandbox broker) creates a
/// <see cref="System.Diagnostics.Metrics.Meter"/> whose name starts with <c>Carapace.</c> from the
/// gateway's <see cref="IMeterFactory"/> (DI) and records with ordinary counters, histograms and
/// observable gauges. Those instruments are exported here too, named meter + instrument with dots
/// turned into underscores (meter <c>Carapace.Plugins</c>, counter <c>tool.invocations</c> →
/// <c>carapace_plugins_tool_invocations</c>); tags become labels, histograms get exponential buckets
/// (1 ms to 65 s for unit <c>s</c>). prometheus-net's adapter types counters as gauges and drops a series
/// nobody updated for a day. Lower layers need no reference to the host or to prometheus-net for this.
/// Published so far: <c>Carapace.Plugins</c> (tool invocations and latency, plugins by state) and
/// <c>Carapace.Sandbox</c> (runs by profile and outcome, run duration).
/// </para>
/// </summary>
internal sealed class GatewayMetrics : IDisposable
{
    public const string MeterPrefix = "Carapace.";

    private static readonly double[] SecondsBuckets = Histogram.ExponentialBuckets(0.001, 2, 17);

    private static readonly string[] StatusText = Enumerable.Range(0, 600)
        .Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Counter _authFailures;
    private readonly Counter _authLockouts;
    private readonly Counter _lockedOutRejections;
    private readonly Counter _rateLimited;
    private readonly Counter _csrfRejected;
    private readonly Counter _connectionsRejected;
    private readonly Counter _auditWritten;
    private readonly Counter _auditDropped;
    private readonly IDisposable? _meterAdapter;

    public GatewayMetrics(IMeterFactory? meterFactory = null)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("carapace_http_requests_total",
            "HTTP requests by matched route template, method and status code.", "route", "method", "status");
        _authFailures = factory.CreateCounter("carapace_auth_failures_total",
            "Control requests refused for missing or wrong credentials.");
        _authLockouts = factory.CreateCounter("carapace_auth_lockouts_total",
            "Clients locked out after repeated authentication failures.");
        _lockedOutRejections = factory.CreateCounter("carapace_auth_lockout_rejections_total",
            "Control requests refused (429) because their client was locked out.");
        _rateLimited = factory.CreateCounter("carapace_rate_limited_requests_total",
            "Requests refused (429) by the per-client rate limiter.", "limit");
        _csrfRejected = factory.CreateCounter("carapace_csrf_rejections_total",
            "State-changing control requests refused for a foreign Origin or Referer.");
        _connectionsRejected = factory.CreateCounter("carapace_connections_rejected_total",
            "TCP connections closed because their peer had too many open.");
        _auditWritten = factory.CreateCounter("carapace_audit_events_written_total",
            "Audit events appended to audit.jsonl.");
        _auditDropped = factory.CreateCounter("carapace_audit_events_dropped_total",
            "Audit events dropped because the writer's queue was full or the file could not be written.");

        if (meterFactory is not null)
        {
            _meterAdapter = MeterAdapter.StartListening(new MeterAdapterOptions
            {
                // The factory, not Registry, decides where adapted metrics go (Registry alone still uses the default factory).
                Registry = _registry,
                MetricFactory = factory,
                InstrumentFilterPredicate = instrument =>
                    ReferenceEquals(instrument.Meter.Scope, meterFactory)
                    && instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal),
                // Durations of tool calls and sandbox runs: 1 ms to about a minute (the default starts at 10 ms).
                ResolveHistogramBuckets = instrument => instrument.Unit == "s" ? SecondsBuckets : MeterAdapterOptions.DefaultHistogramBuckets,
                // The adapter forgets a series nobody updated for this long (at most a day); Carapace.* labels are
                // bounded by design, so keep them as long as it allows.
                MetricsExpireAfter = TimeSpan.FromDays(1),
            });
        }
    }

    public void RequestCompleted(HttpContext context)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
        var status = context.Response.StatusCode;
        _requests.WithLabels(route, MethodLabel(context.Request.Method),
            status is >= 0 and < 600 ? StatusText[status] : "other").Inc();
    }

    public void AuthFailure() => _authFailures.Inc();

    public void AuthLockout() => _authLockouts.Inc();

    public void LockedOutRejection() => _lockedOutRejections.Inc();

    public void RateLimited(string limit) => _rateLimited.WithLabels(limit).Inc();

    public void CsrfRejected() => _csrfRejected.Inc();

    public void ConnectionRejected() => _connectionsRejected.Inc();

    public void AuditWritten() => _auditWritten.Inc();

    public void AuditDropped(long count) => _auditDropped.Inc(count);

    /// <summary>Prometheus text format 0.0.4.</summary>
    public Task ExportAsync(Stream output, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(output, ExpositionFormat.PrometheusText, cancellationToken);

    // Clients choose the method; only known ones become label values, so they cannot grow the series.
    private static string MethodLabel(string method) =>
        HttpMethods.IsGet(method) ? "GET"
        : HttpMethods.IsPost(method) ? "POST"
        : HttpMethods.IsPut(method) ? "PUT"
        : HttpMethods.IsPatch(method) ? "PATCH"
        : HttpMethods.IsDelete(method) ? "DELETE"
        : HttpMethods.IsHead(method) ? "HEAD"
        : HttpMethods.IsOptions(method) ? "OPTIONS"
        : "other";

    public void Dispose() => _meterAdapter?.Dispose();
}
