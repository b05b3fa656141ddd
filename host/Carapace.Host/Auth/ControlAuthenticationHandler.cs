using System.Security.Claims;
using System.Text.Encodings.Web;
using Carapace.Host.Api;
using Carapace.Host.Audit;
using Carapace.Host.Gateway;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Auth;

/// <summary>
/// Authenticates control-API requests with the gateway's bearer token or password. It runs through
/// endpoint authorization rather than a path-prefix check, so every spelling of a path that routes
/// to a control endpoint (case, trailing slash) is protected the same way. Fails closed: with no
/// secret configured every request is refused.
/// </summary>
internal sealed class ControlAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    GatewayCredentials credentials,
    IAuditLog audit)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "CarapaceControl";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
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
        var reason = result.Failure?.Message ?? "missing credentials";
        var remote = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        Logger.LogWarning("Control auth failed from {RemoteIp}: {Reason} ({Method} {Path})",
            remote, reason, Request.Method, Request.Path.Value);
        audit.Write(AuditEvents.AuthFailure, new Dictionary<string, object?>
        {
            ["remote_ip"] = remote,
            ["method"] = Request.Method,
            ["path"] = Request.Path.Value,
            ["reason"] = reason,
        });

        Response.Headers.WWWAuthenticate = "Bearer realm=\"carapace\"";
        // The reason stays in the log: telling a caller why its credential failed helps only an attacker.
        var problem = ControlProblem.Create(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized",
            "A valid 'Authorization: Bearer <token>' header is required.");
        await problem.ExecuteAsync(Context);
    }

    private AuthenticateResult Success(string method)
    {
        var identity = new ClaimsIdentity([new Claim("auth_method", method)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
