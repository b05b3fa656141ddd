using System.Threading.RateLimiting;
using Carapace.Abstractions;
using Carapace.Abstractions.Http;
using Carapace.Host.Audit;

namespace Carapace.Host.Outbound;

/// <summary>
/// A plugin's <see cref="IPluginHttp"/>: URL grants, then the plugin's rate limit, then
/// <see cref="SafeHttp"/>. Every denial, every SSRF refusal and every refused URL (<c>invalid_url</c>, on the
/// first request or a redirect hop) is audited with the plugin id; reasons name the origin or the rule only,
/// never the path, query or userinfo. A plugin without the <c>http</c> capability gets one with no grants,
/// which denies every attempt. Denials reach the audit log through <see cref="ThrottledDenialAudit"/>: the
/// first of each kind per minute in full, the rest as one counted summary, so a spinning plugin cannot flood it.
/// </summary>
internal sealed class PluginHttp : IPluginHttp
{
    public const string Capability = "http";

    private readonly IReadOnlyList<UrlGrant> _grants;
    private readonly RateLimiter _limiter;
    private readonly SafeHttp _http;
    private readonly IAuditLog _audit;
    private int _rateLimitReported;

    public PluginHttp(string pluginId, IReadOnlyList<UrlGrant> grants, RateLimiter limiter, SafeHttp http, IAuditLog audit)
    {
        PluginId = pluginId;
        _grants = grants;
        _limiter = limiter;
        _http = http;
        _audit = audit;
    }

    public string PluginId { get; }

    public IReadOnlyList<UrlGrant> Grants => _grants;

    public async Task<PluginHttpResponse> SendAsync(PluginHttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_grants.Count == 0)
        {
            throw Deny("http capability not granted");
        }

        Uri uri;
        try
        {
            uri = OutboundUrl.Parse(request.Url, _http.Policy);
        }
        catch (OutboundRequestRejectedException ex) when (ex.Code is OutboundErrorCodes.SsrfBlocked or OutboundErrorCodes.InvalidUrl)
        {
            // A private IP literal or a metadata name is refused while parsing, before any lookup, and so
            // is a malformed URL (userinfo, another scheme, too long): audit them like refusals at connect
            // time. The URL rules' messages name the rule, never the URL's path, query or userinfo.
            Audit($"{ex.Code}: {ex.Message}");
            throw;
        }

        if (!IsGranted(uri))
        {
            throw Deny($"{UrlRedaction.Origin(uri)}{PathHint(uri)} is not covered by the plugin's URL grants");
        }

        using var lease = _limiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            // One audit event per burst: a plugin spinning on a full bucket must not flood the audit log.
            var first = Interlocked.Exchange(ref _rateLimitReported, 1) == 0;
            throw Deny("rate limit exceeded", audit: first);
        }

        Interlocked.Exchange(ref _rateLimitReported, 0);
        try
        {
            return await _http.SendAsync(request, RedirectCheck, cancellationToken);
        }
        catch (OutboundRequestRejectedException ex) when (ex.Code is OutboundErrorCodes.SsrfBlocked or OutboundErrorCodes.RedirectRefused
                                                              or OutboundErrorCodes.InvalidUrl)
        {
            Audit($"{ex.Code}: {ex.Message}");
            throw;
        }
    }

    private ValueTask RedirectCheck(Uri next)
    {
        if (!IsGranted(next))
        {
            throw Deny($"redirect to {UrlRedaction.Origin(next)}{PathHint(next)} is not covered by the plugin's URL grants");
        }

        return ValueTask.CompletedTask;
    }

    private bool IsGranted(Uri uri)
    {
        foreach (var grant in _grants)
        {
            if (grant.Matches(uri))
            {
                return true;
            }
        }

        return false;
    }

    // Only whether a path was involved; the path itself may carry tokens.
    private static string PathHint(Uri uri) => uri.AbsolutePath == "/" ? "" : "/…";

    /// <summary>The kind of a denial reason, for <see cref="ThrottledDenialAudit"/>: the rule, never the origin.</summary>
    public static string DenialKind(string reason)
    {
        if (reason.Contains(" is not covered by the plugin's URL grants", StringComparison.Ordinal))
        {
            return reason.StartsWith("redirect to ", StringComparison.Ordinal) ? "redirect_not_granted" : "url_not_granted";
        }

        // "ssrf_blocked: …", "invalid_url: …", "redirect_refused: …": the code before the colon.
        var colon = reason.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && reason.AsSpan(0, colon).ContainsAnyExcept("abcdefghijklmnopqrstuvwxyz_") is false ? reason[..colon] : reason;
    }

    private CapabilityDeniedException Deny(string reason, bool audit = true)
    {
        if (audit)
        {
            Audit(reason);
        }

        return new CapabilityDeniedException(PluginId, Capability, reason);
    }

    private void Audit(string reason) =>
        _audit.Write(AuditEvents.CapabilityDenied, new Dictionary<string, object?>
        {
            ["plugin_id"] = PluginId,
            ["capability"] = Capability,
            ["reason"] = reason,
        });
}
