using System.Buffers.Binary;
using System.Net;
using Carapace.Host.Outbound;
using CsCheck;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// Property tests against an independent transcription of the blocked ranges (IANA special-purpose
/// registries), so a range dropped from <see cref="BlockedRanges"/> is caught rather than mirrored.
/// </summary>
public sealed class AddressPolicyPropertyTests
{
    private static readonly (uint Start, int Prefix)[] BlockedV4 =
    [
        (V4("0.0.0.0"), 8), (V4("10.0.0.0"), 8), (V4("100.64.0.0"), 10), (V4("127.0.0.0"), 8),
        (V4("169.254.0.0"), 16), (V4("172.16.0.0"), 12), (V4("192.0.0.0"), 24), (V4("192.0.2.0"), 24),
        (V4("192.88.99.0"), 24), (V4("192.168.0.0"), 16), (V4("198.18.0.0"), 15), (V4("198.51.100.0"), 24),
        (V4("203.0.113.0"), 24), (V4("224.0.0.0"), 4), (V4("240.0.0.0"), 4),
    ];

    // IPv6 blocked prefixes that are not embedding forms (those are covered separately below).
    private static readonly (UInt128 Start, int Prefix)[] BlockedV6 =
    [
        (V6("100::"), 64), (V6("2001::"), 23), (V6("2001:db8::"), 32), (V6("3fff::"), 20), (V6("5f00::"), 16),
        (V6("fc00::"), 7), (V6("fe80::"), 10), (V6("fec0::"), 10), (V6("ff00::"), 8),
    ];

    private static readonly Gen<uint> AnyV4 = Gen.UInt;

    private static readonly Gen<uint> BlockedV4Gen =
        Gen.Select(Gen.Int[0, BlockedV4.Length - 1], Gen.UInt, (i, r) => Within(BlockedV4[i].Start, BlockedV4[i].Prefix, r));

    private static readonly Gen<uint> PublicV4Gen = AnyV4.Where(a => !IsBlockedV4(a));

    [Fact]
    public void Any_ipv4_address_inside_a_blocked_cidr_is_refused() =>
        BlockedV4Gen.Sample(a => !AddressPolicy.Strict.IsAllowed(ToV4(a)), iter: 20_000);

    [Fact]
    public void Ipv4_addresses_outside_every_blocked_cidr_are_allowed() =>
        PublicV4Gen.Sample(a => AddressPolicy.Strict.IsAllowed(ToV4(a)), iter: 20_000);

    [Fact]
    public void Every_ipv4_address_is_judged_exactly_as_the_independent_table_says() =>
        AnyV4.Sample(a => AddressPolicy.Strict.IsAllowed(ToV4(a)) == !IsBlockedV4(a), iter: 50_000);

    [Fact]
    public void Any_ipv6_address_inside_a_blocked_cidr_is_refused() =>
        Gen.Select(Gen.Int[0, BlockedV6.Length - 1], Gen.UInt128, (i, r) => WithinV6(BlockedV6[i].Start, BlockedV6[i].Prefix, r))
            .Where(a => !IsTeredo(a))
            .Sample(a => !AddressPolicy.Strict.IsAllowed(ToV6(a)), iter: 20_000);

    [Fact]
    public void Ipv6_addresses_outside_global_unicast_are_refused() =>
        Gen.UInt128.Where(a => a >> 125 != 1 && !IsEmbeddingPrefix(a))
            .Sample(a => !AddressPolicy.Strict.IsAllowed(ToV6(a)), iter: 20_000);

    [Fact]
    public void Global_unicast_ipv6_outside_every_blocked_cidr_is_allowed() =>
        Gen.UInt128.Select(r => (r & (UInt128.MaxValue >> 3)) | ((UInt128)1 << 125))
            .Where(a => !InAnyV6(a) && !IsEmbeddingPrefix(a))
            .Sample(a => AddressPolicy.Strict.IsAllowed(ToV6(a)), iter: 20_000);

    [Fact]
    public void Every_ipv4_embedding_form_of_a_blocked_address_is_refused() =>
        Gen.Select(BlockedV4Gen, Gen.Int[0, 5], Gen.UInt).Sample(
            (v4, form, noise) => !AddressPolicy.Strict.IsAllowed(ToV6(Embed(v4, form, noise))), iter: 20_000);

    [Fact]
    public void Every_ipv4_embedding_form_of_a_public_address_is_allowed() =>
        Gen.Select(PublicV4Gen, Gen.Int[0, 5], PublicV4Gen).Sample(
            (v4, form, server) => AddressPolicy.Strict.IsAllowed(ToV6(Embed(v4, form, server))), iter: 20_000);

    /// <summary>
    /// Embeds <paramref name="v4"/> in form 0..5: mapped, compatible, NAT64, local NAT64, 6to4, Teredo
    /// client (with <paramref name="other"/> as the Teredo server or as 6to4 subnet bits).
    /// </summary>
    private static UInt128 Embed(uint v4, int form, uint other) => form switch
    {
        0 => ((UInt128)0xffff << 32) | v4,
        1 => (v4 >> 1 == 0) ? ((UInt128)0xffff << 32) | v4 : v4, // ::0 and ::1 are not the compatible form
        2 => (V6("64:ff9b::") | v4),
        3 => (V6("64:ff9b:1::") | v4),
        4 => V6("2002::") | ((UInt128)v4 << 80) | (UInt128)other,
        _ => V6("2001::") | ((UInt128)other << 64) | (UInt128)(~v4), // Teredo: server, obfuscated client
    };

    private static bool IsEmbeddingPrefix(UInt128 a) =>
        a >> 32 == 0 || a >> 32 == 0xffff || InV6(a, V6("64:ff9b::"), 96) || InV6(a, V6("64:ff9b:1::"), 48)
        || InV6(a, V6("2002::"), 16) || IsTeredo(a);

    private static bool IsTeredo(UInt128 a) => InV6(a, V6("2001::"), 32);

    private static bool IsBlockedV4(uint a) => BlockedV4.Any(r => Within(r.Start, r.Prefix, a) == a);

    private static bool InAnyV6(UInt128 a) => BlockedV6.Any(r => InV6(a, r.Start, r.Prefix));

    private static bool InV6(UInt128 a, UInt128 start, int prefix) => prefix == 0 || a >> (128 - prefix) == start >> (128 - prefix);

    private static uint Within(uint start, int prefix, uint random)
    {
        var hostMask = prefix == 32 ? 0u : uint.MaxValue >> prefix;
        return (start & ~hostMask) | (random & hostMask);
    }

    private static UInt128 WithinV6(UInt128 start, int prefix, UInt128 random)
    {
        var hostMask = UInt128.MaxValue >> prefix;
        return (start & ~hostMask) | (random & hostMask);
    }

    private static uint V4(string s) => BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(s).GetAddressBytes());

    private static UInt128 V6(string s) => BinaryPrimitives.ReadUInt128BigEndian(IPAddress.Parse(s).GetAddressBytes());

    private static IPAddress ToV4(uint a)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, a);
        return new IPAddress(bytes);
    }

    private static IPAddress ToV6(UInt128 a)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, a);
        return new IPAddress(bytes);
    }
}
