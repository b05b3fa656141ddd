using System.Net;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Auth;

/// <summary>
/// A request is "local direct" only if the socket peer is this machine's loopback address, the Host
/// header names the loopback host, and no forwarding header is present. Forwarded headers can never
/// make a request local, whatever <c>gateway.trustedProxies</c> says.
/// <para>
/// "Loopback address" means exactly 127.0.0.1 or ::1 (also as ::ffff:127.0.0.1), here and for the
/// rate-limit exemption; upstream takes all of 127.0.0.0/8. Every local client (cara, a browser on
/// localhost) uses one of the two, so nothing is lost, the privileged set is as small as it can be,
/// and a test can play a non-local client from 127.0.0.2 without a network namespace.
/// </para>
/// </summary>
internal static class LocalDirectRequest
{
    private static readonly string[] ForwardingHeaders = ["X-Forwarded-For", "X-Real-IP", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"];

    public static bool IsLocalDirect(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null || !IsLoopbackAddress(remote))
        {
            return false;
        }

        var host = context.Request.Host.Host.Trim('[', ']').ToLowerInvariant();
        if (host is not ("localhost" or "127.0.0.1" or "::1"))
        {
            return false;
        }

        return !IsForwarded(context.Request.Headers);
    }

    /// <summary>
    /// Any forwarding header at all (trusted or not): the request was relayed, so whoever sent it is not
    /// necessarily this machine. Used here and for the loopback rate-limit exemption.
    /// </summary>
    public static bool IsForwarded(IHeaderDictionary headers)
    {
        foreach (var header in ForwardingHeaders)
        {
            if (headers.ContainsKey(header))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Exactly 127.0.0.1 or ::1 (an IPv4-mapped 127.0.0.1 included); not the rest of 127.0.0.0/8.</summary>
    public static bool IsLoopbackAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.Equals(IPAddress.Loopback) || address.Equals(IPAddress.IPv6Loopback);
    }
}
