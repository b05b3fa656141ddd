using System.Net;

namespace Carapace.Host.Outbound;

/// <summary>
/// Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries, RFC 6890 and successors) that an
/// outbound request may never reach. Order matters only for the reason reported: narrower names first.
/// IPv4-embedding IPv6 prefixes are not listed here; <see cref="Ipv4Embedding"/> unwraps them first.
/// </summary>
internal static class BlockedRanges
{
    public static IReadOnlyList<(IPNetwork Network, string Name)> V4 { get; } =
    [
        (IPNetwork.Parse("0.0.0.0/32"), "unspecified"),
        (IPNetwork.Parse("0.0.0.0/8"), "this_network"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "cgnat"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link_local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "ietf_protocol_assignments"),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation"),
        // Deprecated 6to4 relay anycast (RFC 7526): nothing legitimate is served there.
        (IPNetwork.Parse("192.88.99.0/24"), "6to4_relay_anycast"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation"),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
    ];

    /// <summary>
    /// Named IPv6 ranges. Anything outside global unicast 2000::/3 is refused as well
    /// (<see cref="GlobalUnicast"/>), so this list only adds names and the non-global parts of 2000::/3.
    /// </summary>
    public static IReadOnlyList<(IPNetwork Network, string Name)> V6 { get; } =
    [
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("100::/64"), "discard_only"),
        (IPNetwork.Parse("2001:2::/48"), "benchmarking"),
        // IETF protocol assignments; Teredo 2001::/32 inside it is unwrapped before this list is consulted.
        (IPNetwork.Parse("2001::/23"), "ietf_protocol_assignments"),
        (IPNetwork.Parse("2001:db8::/32"), "documentation"),
        (IPNetwork.Parse("3fff::/20"), "documentation"),
        (IPNetwork.Parse("5f00::/16"), "srv6_sid"),
        (IPNetwork.Parse("fc00::/7"), "unique_local"),
        (IPNetwork.Parse("fe80::/10"), "link_local"),
        (IPNetwork.Parse("fec0::/10"), "site_local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    public static IPNetwork GlobalUnicast { get; } = IPNetwork.Parse("2000::/3");
}
