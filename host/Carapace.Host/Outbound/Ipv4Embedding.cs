using System.Net;
using System.Net.Sockets;

namespace Carapace.Host.Outbound;

/// <summary>
/// Recognises the IPv6 forms that carry an IPv4 address, so the policy judges the IPv4 address the
/// packet would really reach. Byte-level on purpose: <see cref="IPNetwork.Contains"/> maps IPv4-mapped
/// addresses to IPv4 before comparing, so it cannot be used to detect ::ffff:0:0/96.
/// </summary>
internal static class Ipv4Embedding
{
    /// <summary>
    /// Returns the embedding form and the IPv4 addresses that must all be public for the IPv6 address to
    /// be allowed, or <c>null</c> when <paramref name="address"/> is not an embedding form.
    /// <c>::</c> and <c>::1</c> are not treated as IPv4-compatible. An empty array means the form is
    /// recognised but the IPv4 position is ambiguous; the caller refuses it.
    /// </summary>
    public static (string Form, IPAddress[] Embedded)? TryUnwrap(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);

        // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2)
        if (IsZero(b[..10]) && b[10] == 0xff && b[11] == 0xff)
        {
            return ("ipv4_mapped", [V4(b[12..])]);
        }

        // ::a.b.c.d, deprecated IPv4-compatible (RFC 4291 §2.5.5.1); :: and ::1 are their own ranges.
        if (IsZero(b[..12]) && !(IsZero(b[12..15]) && b[15] <= 1))
        {
            return ("ipv4_compatible", [V4(b[12..])]);
        }

        // 64:ff9b::/96 well-known NAT64 prefix (RFC 6052)
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && IsZero(b[4..12]))
        {
            return ("nat64", [V4(b[12..])]);
        }

        // 64:ff9b:1::/48 local-use NAT64 prefix (RFC 8215). Operators may carve any RFC 6052 layout out
        // of it, so the IPv4 position is only unambiguous when bits 48..95 are zero (the /96 layout DNS64
        // synthesises); any other layout is refused rather than guessed.
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 && b[5] == 0x01)
        {
            return IsZero(b[6..12])
                ? ("nat64_local", [V4(b[12..])])
                : ("nat64_local", []);
        }

        // 2002:a.b.c.d::/48 6to4 (RFC 3056)
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return ("6to4", [V4(b[2..6])]);
        }

        // 2001:0000::/32 Teredo (RFC 4380): server IPv4 in bits 32..63, client IPv4 XOR-obfuscated in the
        // last 32 bits. Both are judged: either may be the host the tunnel delivers to.
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
        {
            Span<byte> client = stackalloc byte[4];
            for (var i = 0; i < 4; i++)
            {
                client[i] = (byte)~b[12 + i];
            }

            return ("teredo", [V4(b[4..8]), V4(client)]);
        }

        return null;
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private static IPAddress V4(ReadOnlySpan<byte> four) => new(four);
}
