using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Security;

/// <summary>
/// The address a request is attributed to for rate limits, auth throttling, logs and audit: the
/// socket peer, or, behind a trusted proxy, the first untrusted <c>X-Forwarded-For</c> hop.
/// </summary>
internal sealed class ClientAddress
{
    private string? _text;
    private string? _peerText;

    public ClientAddress(IPAddress address, IPAddress peer)
    {
        Address = address;
        Peer = peer;
        Key = LimitKey(address);
        AuthKey = ThrottleKey(address);
        PeerAuthKey = ThrottleKey(peer);
    }

    /// <summary>The client as resolved through trusted proxies.</summary>
    public IPAddress Address { get; }

    /// <summary>The socket peer (for IPv4-mapped IPv6, the IPv4 address).</summary>
    public IPAddress Peer { get; }

    /// <summary>What rate and connection limits are keyed on (see <see cref="LimitKey"/>).</summary>
    public IPAddress Key { get; }

    /// <summary>What auth-failure throttling is keyed on (see <see cref="ThrottleKey"/>).</summary>
    public IPAddress AuthKey { get; }

    /// <summary><see cref="ThrottleKey"/> of the socket peer: for a forwarded request, the proxy's.</summary>
    public IPAddress PeerAuthKey { get; }

    /// <summary>127.0.0.1 or ::1 exactly (see <see cref="Auth.LocalDirectRequest.IsLoopbackAddress"/>).</summary>
    public bool IsLoopback => Auth.LocalDirectRequest.IsLoopbackAddress(Address);

    public bool IsForwarded => !Address.Equals(Peer);

    public string Text => _text ??= Address.ToString();

    public string PeerText => _peerText ??= Peer.ToString();

    public static ClientAddress Of(HttpContext context)
    {
        if (context.Features.Get<ClientAddress>() is { } known)
        {
            return known;
        }

        // Outside the gateway pipeline (unit tests of single middleware): the socket peer.
        var peer = Normalize(context.Connection.RemoteIpAddress ?? IPAddress.IPv6None);
        var address = new ClientAddress(peer, peer);
        context.Features.Set(address);
        return address;
    }

    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// The key auth-failure throttling counts a client under: <see cref="LimitKey"/>, except that all of
    /// 127.0.0.0/8 and ::1 (also IPv4-mapped) is one key, <see cref="IPAddress.Loopback"/>. Any local process
    /// can bind any of the 16M loopback sources, so keying them apart would hand a local brute-forcer a
    /// fresh allowance per address. (Rate and connection limits keep per-address keys: they protect capacity,
    /// which a local process can exhaust anyway, and the total connection cap bounds them.)
    /// </summary>
    public static IPAddress ThrottleKey(IPAddress address)
    {
        address = Normalize(address);
        return IPAddress.IsLoopback(address) ? IPAddress.Loopback : LimitKey(address);
    }

    /// <summary>
    /// The key rate and connection limits count a client under: an IPv4 address by itself, an IPv6
    /// address by its /64 (one host usually owns a whole /64, so per-address keys would let it rotate past
    /// every limit), ::1 by itself.
    /// </summary>
    public static IPAddress LimitKey(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || address.Equals(IPAddress.IPv6Loopback))
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}

/// <summary>Resolves <see cref="ClientAddress"/> once per request, before anything that needs it.</summary>
internal static class ClientAddressMiddleware
{
    public static IApplicationBuilder UseClientAddress(this IApplicationBuilder app, TrustedProxies proxies) =>
        app.Use((context, next) =>
        {
            var peer = ClientAddress.Normalize(context.Connection.RemoteIpAddress ?? IPAddress.IPv6None);
            var client = proxies.IsEmpty ? peer : proxies.Resolve(peer, context.Request.Headers["X-Forwarded-For"]);
            context.Features.Set(new ClientAddress(client, peer));
            return next(context);
        });
}
