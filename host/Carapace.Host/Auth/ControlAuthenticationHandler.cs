using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Carapace.Host.Api;
using Carapace.Host.Audit;
using Carapace.Host.Gateway;
using Carapace.Host.Metrics;
using Carapace.Host.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Auth;

/// <summary>
/// Authenticates control-API requests with the gateway's bearer token or password. It runs through
/// endpoint authorization rather than a path-prefix check, so every spelling of a path that routes
/// to a control endpoint (case, trailing slash) is protected the same way. Fails closed: with no
/// secret configured every request is refused. Wrong credentials are counted per client by
/// <see cref="AuthFailureThrottle"/> (requests without any are audited but not counted); a locked-out
/// client gets 429 <c>auth_locked_out</c> before its credential is even looked at. So that no client can
/// flood the audit log, refusals during a lockout and credential-less failures past a per-window allowance
/// are counted and audited as summaries (<see cref="AuthAuditReporter"/>).
/// </summary>
internal sealed class ControlAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    GatewayCredentials credentials,
    AuthFailureThrottle throttle,
    ProxyAuthFailureThrottle proxyThrottle,
    GatewayMetrics metrics,
    IAuditLog audit,
    AuthAuditReporter summaries)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "CarapaceControl";
    public const string LockedOutCode = "auth_locked_out";

    private static readonly object LockedOutKey = new();
    private static readonly object ProxyLockedOutKey = new();

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var client = ClientAddress.Of(Context);
        if (throttle.LockedOutFor(client.AuthKey) is { } remaining)
        {
            Context.Items[LockedOutKey] = remaining;
            return Task.FromResult(AuthenticateResult.Fail("client is locked out after repeated authentication failures"));
        }

        if (client.IsForwarded && proxyThrottle.Inner.LockedOutFor(client.PeerAuthKey) is { } proxyRemaining)
        {
            Context.Items[LockedOutKey] = proxyRemaining;
            Context.Items[ProxyLockedOutKey] = true;
            return Task.FromResult(AuthenticateResult.Fail("the trusted proxy is locked out after repeated authentication failures through it"));
        }

        if (credentials.Mode == GatewayAuthMode.None)
        {
            return Task.FromResult(LocalDirectRequest.IsLocalDirect(Context)
                ? Success("local")
                : AuthenticateResult.Fail("auth mode 'none' admits only direct loopback requests"));
        }

        var parsed = BearerHeader.Parse(Request.Headers.Authorization);
        if (parsed.Credential is null)
        {
            return Task.FromResult(AuthenticateResult.Fail(parsed.Problem!));
        }

        if (!credentials.HasSecret)
        {
            return Task.FromResult(AuthenticateResult.Fail("no gateway credentials are configured"));
        }

        return Task.FromResult(credentials.Matches(parsed.Credential)
            ? Success(credentials.ModeName)
            : AuthenticateResult.Fail($"invalid {credentials.ModeName}"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var client = ClientAddress.Of(Context);
        if (Context.Items[LockedOutKey] is TimeSpan remaining)
        {
            metrics.LockedOutRejection();
            if (Context.Items.ContainsKey(ProxyLockedOutKey))
            {
                proxyThrottle.Inner.RecordRefusedWhileLockedOut(client.PeerAuthKey);
            }
            else
            {
                throttle.RecordRefusedWhileLockedOut(client.AuthKey);
            }

            await LockedOut(remaining).ExecuteAsync(Context);
            return;
        }

        var reason = result.Failure?.Message ?? "missing credentials";
        // Only a presented credential is a guess. Counting bare requests would let any web page lock the
        // local user out: a browser sends credential-less requests to 127.0.0.1 on a page's behalf.
        var guessed = credentials.Mode != GatewayAuthMode.None && Request.Headers.Authorization.Count > 0;
        var outcome = default(FailureOutcome);
        var proxyOutcome = default(FailureOutcome);
        var audited = true;
        if (guessed)
        {
            outcome = throttle.RecordFailure(client.AuthKey);
            if (client.IsForwarded)
            {
                proxyOutcome = proxyThrottle.Inner.RecordFailure(client.PeerAuthKey);
            }
        }
        else
        {
            audited = throttle.RecordCredentialless(client.AuthKey, out var endedWindow);
            if (endedWindow is not null)
            {
                summaries.Write(endedWindow);
            }
        }

        metrics.AuthFailure();
        if (audited)
        {
            Logger.LogWarning("Control auth failed from {RemoteIp}: {Reason} ({Method} {Path})",
                client.Text, reason, Request.Method, Request.Path.Value);
            audit.Write(AuditEvents.AuthFailure, new Dictionary<string, object?>
            {
                ["remote_ip"] = client.Text,
                ["peer_ip"] = client.IsForwarded ? client.PeerText : null,
                ["method"] = Request.Method,
                ["path"] = Request.Path.Value,
                ["reason"] = reason,
                ["failures_in_window"] = guessed ? outcome.FailuresInWindow : null,
            });
        }

        if (outcome.PreviousLockoutRefusals is { } previous)
        {
            summaries.Write(previous);
        }

        if (outcome.LockoutStarted is { } lockout)
        {
            metrics.AuthLockout();
            Logger.LogWarning("Locked out {RemoteIp} for {Seconds} s after {Failures} failed authentications within {Window} s",
                client.Text, (long)lockout.TotalSeconds, outcome.FailuresInWindow, (long)throttle.Settings.Window.TotalSeconds);
            audit.Write(AuditEvents.AuthLockout, new Dictionary<string, object?>
            {
                ["remote_ip"] = client.Text,
                ["peer_ip"] = client.IsForwarded ? client.PeerText : null,
                ["failures"] = outcome.FailuresInWindow,
                ["window_seconds"] = (long)throttle.Settings.Window.TotalSeconds,
                ["lockout_seconds"] = (long)lockout.TotalSeconds,
            });
        }

        if (proxyOutcome.PreviousLockoutRefusals is { } previousViaProxy)
        {
            summaries.Write(previousViaProxy, ProxyAuthFailureThrottle.Scope);
        }

        if (proxyOutcome.LockoutStarted is { } proxyLockout)
        {
            metrics.AuthLockout();
            Logger.LogWarning("Locked out forwarded requests through trusted proxy {PeerIp} for {Seconds} s after {Failures} failed authentications through it within {Window} s",
                client.PeerText, (long)proxyLockout.TotalSeconds, proxyOutcome.FailuresInWindow, (long)throttle.Settings.Window.TotalSeconds);
            audit.Write(AuditEvents.AuthLockout, new Dictionary<string, object?>
            {
                ["remote_ip"] = client.PeerText,
                ["scope"] = ProxyAuthFailureThrottle.Scope,
                ["failures"] = proxyOutcome.FailuresInWindow,
                ["window_seconds"] = (long)throttle.Settings.Window.TotalSeconds,
                ["lockout_seconds"] = (long)proxyLockout.TotalSeconds,
            });
        }

        Response.Headers.WWWAuthenticate = "Bearer realm=\"carapace\"";
        // The reason stays in the log: telling a caller why its credential failed helps only an attacker.
        var problem = ControlProblem.Create(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized",
            "A valid 'Authorization: Bearer <token>' header is required.");
        await problem.ExecuteAsync(Context);
    }

    private IResult LockedOut(TimeSpan remaining)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(remaining.TotalSeconds));
        Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ControlProblem.Create(StatusCodes.Status429TooManyRequests, LockedOutCode, "Too many failed authentications",
            $"This client is locked out after repeated authentication failures; retry after {seconds} s.",
            new Dictionary<string, object?> { ["retryAfter"] = seconds });
    }

    private AuthenticateResult Success(string method)
    {
        var identity = new ClaimsIdentity([new Claim("auth_method", method)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
