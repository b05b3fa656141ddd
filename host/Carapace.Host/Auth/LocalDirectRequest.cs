using System.Net;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Auth;

/// <summary>
/// A request is "local direct" only if the socket peer is loopback, the Host header names the
/// loopback host, and no forwarding header is present. Forwarded headers can never make a request
/// local, whatever <c>gateway.trustedProxies</c> says.
/// </summary>
internal static class LocalDirectRequest
{
    private static readonly string[] ForwardingHeaders = ["X-Forwarded-For", "X-Real-IP", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"];

    public static bool IsLocalDirect(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            return false;
        }

        var host = context.Request.Host.Host.Trim('[', ']').ToLowerInvariant();
        if (host is not ("localhost" or "127.0.0.1" or "::1"))
        {
            return false;
        }

        foreach (var header in ForwardingHeaders)
        {
            if (context.Request.Headers.ContainsKey(header))
            {
                return false;
            }
        }

        return true;
    }
}
