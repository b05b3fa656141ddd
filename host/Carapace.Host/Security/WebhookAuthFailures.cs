using System.Globalization;
using Carapace.Host.Api;
using Carapace.Host.Audit;
using Carapace.Host.Auth;
using Carapace.Host.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Security;

/// <summary>
/// Brute-force protection for <c>/plugins/{id}/*</c>. The plugin authenticates its callers (shared secret or
/// HMAC), so the host learns of a failure from the plugin's 401; each one counts in
/// <see cref="WebhookAuthThrottle"/> like a wrong control credential (loopback included), and past the limit
/// the client gets 429 <c>auth_locked_out</c> for every webhook before the plugin sees the request. A
/// request a browser marks <c>Sec-Fetch-Site: cross-site</c>/<c>same-site</c> is a page's doing, not a
/// guess (a page cannot read the answer, nor can it set a secret header without a preflight): it is
/// audited but does not count, so no web page can lock out local webhook senders. Audit lines stay
/// bounded as for the control API: guesses are audited until the lockout (at most <c>maxFailures</c> per
/// window), requests refused during it are summarised as one <c>auth_lockout_refused</c>, and uncounted
/// failures past a per-window allowance as one <c>auth_failures_suppressed</c>; all carry
/// <c>scope: webhook</c>.
/// </summary>
internal sealed class WebhookAuthFailures(
    WebhookAuthThrottle throttle, IAuditLog audit, GatewayMetrics metrics, AuthAuditReporter summaries, ILogger<WebhookAuthFailures> logger)
{
    /// <summary>A 429 problem when the client is locked out of webhooks, else null.</summary>
    public IResult? RefuseIfLockedOut(HttpContext context)
    {
        var client = ClientAddress.Of(context);
        if (throttle.Inner.LockedOutFor(client.AuthKey) is not { } remaining)
        {
            return null;
        }

        metrics.LockedOutRejection();
        throttle.Inner.RecordRefusedWhileLockedOut(client.AuthKey);
        var seconds = Math.Max(1, (long)Math.Ceiling(remaining.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ControlProblem.Create(StatusCodes.Status429TooManyRequests, ControlAuthenticationHandler.LockedOutCode, "Too many failed authentications",
            $"This client is locked out of webhooks after repeated authentication failures; retry after {seconds} s.",
            new Dictionary<string, object?> { ["retryAfter"] = seconds });
    }

    /// <summary>Counts and audits a webhook request the plugin answered 401.</summary>
    public void Failed(HttpContext context, string pluginId, string path)
    {
        var client = ClientAddress.Of(context);
        var site = context.Request.Headers["Sec-Fetch-Site"];
        var fromPage = site.Count > 0 && site is not ["same-origin"] and not ["none"];
        metrics.AuthFailure();
        var outcome = default(FailureOutcome);
        if (fromPage)
        {
            if (!throttle.Inner.RecordCredentialless(client.AuthKey, out var ended))
            {
                return;
            }

            if (ended is not null)
            {
                summaries.Write(ended, WebhookAuthThrottle.Scope);
            }
        }
        else
        {
            outcome = throttle.Inner.RecordFailure(client.AuthKey);
        }

        logger.LogWarning("Webhook auth failed from {RemoteIp}: plugin {PluginId} answered 401 ({Method} {Path})",
            client.Text, pluginId, context.Request.Method, path);
        audit.Write(AuditEvents.AuthFailure, new Dictionary<string, object?>
        {
            ["remote_ip"] = client.Text,
            ["peer_ip"] = client.IsForwarded ? client.PeerText : null,
            ["scope"] = WebhookAuthThrottle.Scope,
            ["plugin_id"] = pluginId,
            ["method"] = context.Request.Method,
            ["path"] = path,
            ["reason"] = fromPage ? "rejected by the plugin (browser cross-site request, not counted)" : "rejected by the plugin",
            ["failures_in_window"] = fromPage ? null : outcome.FailuresInWindow,
        });

        if (outcome.PreviousLockoutRefusals is { } previous)
        {
            summaries.Write(previous, WebhookAuthThrottle.Scope);
        }

        if (outcome.LockoutStarted is { } lockout)
        {
            metrics.AuthLockout();
            logger.LogWarning("Locked {RemoteIp} out of webhooks for {Seconds} s after {Failures} failed authentications within {Window} s",
                client.Text, (long)lockout.TotalSeconds, outcome.FailuresInWindow, (long)throttle.Inner.Settings.Window.TotalSeconds);
            audit.Write(AuditEvents.AuthLockout, new Dictionary<string, object?>
            {
                ["remote_ip"] = client.Text,
                ["peer_ip"] = client.IsForwarded ? client.PeerText : null,
                ["scope"] = WebhookAuthThrottle.Scope,
                ["plugin_id"] = pluginId,
                ["failures"] = outcome.FailuresInWindow,
                ["window_seconds"] = (long)throttle.Inner.Settings.Window.TotalSeconds,
                ["lockout_seconds"] = (long)lockout.TotalSeconds,
            });
        }
    }
}
