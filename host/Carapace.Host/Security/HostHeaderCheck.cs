using System.Net;
using Carapace.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Security;

/// <summary>
/// DNS-rebinding defence for the control API. A web page on <c>attacker.example</c> can re-point its own
/// name at 127.0.0.1; the browser then sends the page's requests to the gateway as same-origin, with
/// <c>Host: attacker.example</c>, and CSRF checks see nothing foreign. So a <c>/control/*</c> request whose
/// <c>Host</c> is not one of this gateway's own names is refused with 421 <see cref="Code"/>, before
/// authentication: such a request can neither succeed nor feed the failure counter that would lock the
/// real user out. The gateway's names are the loopback names (<c>localhost</c>, <c>127.0.0.1</c>,
/// <c>[::1]</c>), the bind address, the address the connection arrived on (for a wildcard bind; an IP
/// literal cannot be rebound), <c>gateway.tls.hostNames</c>, and the hosts of
/// <c>gateway.csrf.allowedOrigins</c> (a reverse proxy's public name goes there). The port is not compared.
/// Public paths (<c>/health</c>, plugin webhooks) are not checked. Runs after routing, like
/// <see cref="CsrfProtection"/>, so every path spelling that reaches a control endpoint is covered.
/// </summary>
internal static class HostHeaderCheck
{
    public const string Code = "host_not_allowed";

    public static IApplicationBuilder UseHostHeaderCheck(this IApplicationBuilder app, IReadOnlySet<string> allowedHosts, ILogger logger) =>
        app.Use((context, next) =>
        {
            if (!CsrfProtection.AppliesTo(context) || IsAllowed(context, allowedHosts))
            {
                return next(context);
            }

            logger.LogWarning("Refused {Method} {Path} from {ClientIp}: Host '{Host}' is not a name of this gateway (DNS rebinding?)",
                context.Request.Method, context.Request.Path.Value, ClientAddress.Of(context).Text, context.Request.Host.Value);
            return ControlProblem.Create(StatusCodes.Status421MisdirectedRequest, Code, "Host not allowed",
                "The request's Host header is not a name of this gateway. To reach it under another name, list that origin in gateway.csrf.allowedOrigins.")
                .ExecuteAsync(context);
        });

    /// <summary>The configured names, normalised as <see cref="Normalize"/> does.</summary>
    public static IReadOnlySet<string> AllowedHosts(IPAddress bindAddress, SecuritySettings security)
    {
        var hosts = new HashSet<string>(StringComparer.Ordinal) { "localhost", "127.0.0.1", "::1" };
        if (!bindAddress.Equals(IPAddress.Any) && !bindAddress.Equals(IPAddress.IPv6Any))
        {
            hosts.Add(Normalize(ClientAddress.Normalize(bindAddress).ToString()));
        }

        foreach (var name in security.Tls.HostNames)
        {
            hosts.Add(Normalize(name));
        }

        foreach (var origin in security.CsrfAllowedOrigins)
        {
            if (Uri.TryCreate(origin, UriKind.Absolute, out var uri))
            {
                hosts.Add(Normalize(uri.IdnHost));
            }
        }

        return hosts;
    }

    private static bool IsAllowed(HttpContext context, IReadOnlySet<string> allowedHosts)
    {
        var host = context.Request.Host;
        if (!host.HasValue || host.Host.Length == 0)
        {
            // No Host at all (HTTP/1.0) is not a browser; still, only a name we know is admitted.
            return false;
        }

        var name = Normalize(host.Host);
        if (allowedHosts.Contains(name))
        {
            return true;
        }

        // The address the client actually connected to (covers 0.0.0.0 / :: binds). IP literals are safe.
        return IPAddress.TryParse(name, out var literal) && context.Connection.LocalIpAddress is { } local
               && ClientAddress.Normalize(literal).Equals(ClientAddress.Normalize(local));
    }

    /// <summary>Lower case, no IPv6 brackets, no trailing root dot, IPv4-mapped IPv6 as IPv4.</summary>
    public static string Normalize(string host)
    {
        var trimmed = host.Trim().Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        return IPAddress.TryParse(trimmed, out var address) && !trimmed.Contains('%', StringComparison.Ordinal)
            ? ClientAddress.Normalize(address).ToString()
            : trimmed;
    }
}
