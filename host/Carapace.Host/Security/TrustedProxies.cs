using System.Net;
using Microsoft.Extensions.Primitives;

namespace Carapace.Host.Security;

/// <summary>
/// <c>gateway.trustedProxies</c>: the peers whose <c>X-Forwarded-For</c> is believed. They decide only
/// which client address rate limits, auth throttling, logs and audit use. They never make a request
/// local or authenticated: <see cref="Auth.LocalDirectRequest"/> looks at the socket alone.
/// </summary>
internal sealed class TrustedProxies(IReadOnlyList<IPNetwork> networks)
{
    public static TrustedProxies None { get; } = new([]);

    public IReadOnlyList<IPNetwork> Networks { get; } = networks;

    public bool IsEmpty => Networks.Count == 0;

    public bool IsTrusted(IPAddress address)
    {
        foreach (var network in Networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The client address: the socket peer, unless the peer is trusted; then <c>X-Forwarded-For</c> is
    /// walked from the right (the entry the nearest proxy appended) and the first hop that is not a
    /// trusted proxy is the client. Entries to its left were written by the client and could say anything.
    /// An unparsable entry stops the walk at the last trusted hop, so garbage never picks the client.
    /// </summary>
    public IPAddress Resolve(IPAddress peer, StringValues forwardedFor)
    {
        var client = ClientAddress.Normalize(peer);
        if (IsEmpty || forwardedFor.Count == 0 || !IsTrusted(client))
        {
            return client;
        }

        for (var v = forwardedFor.Count - 1; v >= 0; v--)
        {
            var header = forwardedFor[v].AsSpan();
            var end = header.Length;
            while (end > 0)
            {
                var comma = header[..end].LastIndexOf(',');
                var entry = header[(comma + 1)..end].Trim();
                end = comma < 0 ? 0 : comma;
                if (!TryParseHop(entry, out var hop))
                {
                    return client;
                }

                client = hop;
                if (!IsTrusted(hop))
                {
                    return hop;
                }
            }
        }

        return client;
    }

    public static bool TryParseEntry(string text, out IPNetwork network)
    {
        var trimmed = text.Trim();
        if (trimmed.Contains('/', StringComparison.Ordinal))
        {
            // A base address with host bits set (10.0.0.1/8) is almost always a typo for something else; refuse it.
            var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
            if (IPNetwork.TryParse(trimmed, out network) && IPAddress.TryParse(trimmed[..slash], out var written)
                && written.Equals(network.BaseAddress))
            {
                network = Normalize(network);
                return true;
            }

            network = default;
            return false;
        }

        if (IPAddress.TryParse(trimmed.Trim('[', ']'), out var address) && !trimmed.Contains('%', StringComparison.Ordinal))
        {
            address = ClientAddress.Normalize(address);
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        network = default;
        return false;
    }

    // IPv4-mapped IPv6 ranges (::ffff:10.0.0.0/104) are stored as plain IPv4 so they match normalised peers.
    private static IPNetwork Normalize(IPNetwork network) =>
        network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96
            ? new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96)
            : network;

    /// <summary>One X-Forwarded-For hop: an address, <c>[v6]</c>, <c>[v6]:port</c> or <c>v4:port</c>.</summary>
    private static bool TryParseHop(ReadOnlySpan<char> entry, out IPAddress address)
    {
        if (entry.Length > 0 && entry[0] == '[')
        {
            var close = entry.IndexOf(']');
            if (close < 0)
            {
                address = IPAddress.None;
                return false;
            }

            entry = entry[1..close];
        }
        else if (entry.Count(':') == 1)
        {
            entry = entry[..entry.IndexOf(':')];
        }

        if (entry.Contains('%') || !IPAddress.TryParse(entry, out var parsed))
        {
            address = IPAddress.None;
            return false;
        }

        address = ClientAddress.Normalize(parsed);
        return true;
    }
}
