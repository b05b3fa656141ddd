using Carapace.Host.Audit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Security;

/// <summary>
/// Writes the <see cref="AuthAuditSummary"/> lines of <see cref="AuthFailureThrottle"/>: every
/// <see cref="Interval"/> it collects the counts whose lockout or window is over, and at shutdown all of them,
/// so no refusal goes unrecorded even when the client never comes back. Each summary is also logged.
/// </summary>
internal sealed class AuthAuditReporter(
    AuthFailureThrottle throttle, ProxyAuthFailureThrottle proxies, WebhookAuthThrottle webhooks, IAuditLog audit, TimeProvider time,
    ILogger<AuthAuditReporter> logger)
    : IHostedService, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = time.CreateTimer(_ => Flush(all: false), null, Interval, Interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        Flush(all: true);
        return Task.CompletedTask;
    }

    public void Flush(bool all)
    {
        foreach (var summary in throttle.CollectSummaries(all))
        {
            Write(summary);
        }

        foreach (var summary in proxies.Inner.CollectSummaries(all))
        {
            Write(summary, ProxyAuthFailureThrottle.Scope);
        }

        foreach (var summary in webhooks.Inner.CollectSummaries(all))
        {
            Write(summary, WebhookAuthThrottle.Scope);
        }
    }

    /// <param name="summary">What to write.</param>
    /// <param name="scope">
    /// Null for the control API's per-client count; <see cref="ProxyAuthFailureThrottle.Scope"/> for a trusted
    /// proxy's (remote_ip is the proxy); <see cref="WebhookAuthThrottle.Scope"/> for plugin webhooks.
    /// </param>
    public void Write(AuthAuditSummary summary, string? scope = null)
    {
        var client = summary.Client?.ToString();
        var seconds = (long)summary.Window.TotalSeconds;
        if (summary.What == AuthAuditSummary.Kind.RefusedWhileLockedOut)
        {
            logger.LogWarning("Refused {Count} {What} requests from {RemoteIp}{Scope} while it was locked out ({From:o} to {To:o})",
                summary.Count, scope == WebhookAuthThrottle.Scope ? "webhook" : "control", client ?? $"{summary.Clients} evicted clients",
                scope == ProxyAuthFailureThrottle.Scope ? " (forwarded through it)" : string.Empty, summary.From, summary.To);
            audit.Write(AuditEvents.AuthLockoutRefused, new Dictionary<string, object?>
            {
                ["remote_ip"] = client,
                ["scope"] = scope,
                ["count"] = summary.Count,
                ["lockout_started"] = summary.From,
                ["lockout_until"] = summary.To,
                ["lockout_over"] = summary.Client is null ? null : summary.Ended,
                ["evicted_clients"] = summary.Client is null ? summary.Clients : null,
            });
            return;
        }

        logger.LogWarning("{Count} more {What} requests without a credential from {RemoteIp} within {Window} s were refused (first {Limit} audited one by one)",
            summary.Count, scope == WebhookAuthThrottle.Scope ? "webhook" : "control", client ?? $"{summary.Clients} evicted clients", seconds,
            AuthFailureThrottle.CredentiallessAuditedPerWindow);
        audit.Write(AuditEvents.AuthFailuresSuppressed, new Dictionary<string, object?>
        {
            ["remote_ip"] = client,
            ["scope"] = scope,
            ["reason"] = "missing credentials",
            ["count"] = summary.Count,
            ["window_seconds"] = seconds,
            ["audited_per_window"] = AuthFailureThrottle.CredentiallessAuditedPerWindow,
            ["first_ts"] = summary.From,
            ["last_ts"] = summary.To,
            ["evicted_clients"] = summary.Client is null ? summary.Clients : null,
        });
    }

    public void Dispose() => _timer?.Dispose();
}
