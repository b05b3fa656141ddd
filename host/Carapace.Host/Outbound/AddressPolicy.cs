using System.Net;
using System.Net.Sockets;

namespace Carapace.Host.Outbound;

/// <summary>
/// Decides whether an outbound connection may reach an address: only public unicast addresses, plus
/// the operator's explicit <c>network.allowPrivate</c> exceptions.
/// </summary>
internal sealed class AddressPolicy
{
    private readonly IPNetwork[] _allowPrivate;

    public AddressPolicy(IEnumerable<IPNetwork> allowPrivate) => _allowPrivate = [.. allowPrivate];

    /// <summary>A policy without operator exceptions.</summary>
    public static AddressPolicy Strict { get; } = new([]);

    public IReadOnlyList<IPNetwork> AllowPrivate => _allowPrivate;

    public bool IsAllowed(IPAddress address) => Evaluate(address).Allowed;

    public AddressVerdict Evaluate(IPAddress address)
    {
        address = WithoutScope(address);

        foreach (var network in _allowPrivate)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address))
            {
                return new AddressVerdict(true, "allow_private " + network);
            }
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => EvaluateV4(address),
            AddressFamily.InterNetworkV6 => EvaluateV6(address),
            _ => AddressVerdict.Block("unsupported_family"),
        };
    }

    private static AddressVerdict EvaluateV4(IPAddress address)
    {
        foreach (var (network, name) in BlockedRanges.V4)
        {
            if (network.Contains(address))
            {
                return AddressVerdict.Block(name);
            }
        }

        return AddressVerdict.Public;
    }

    private AddressVerdict EvaluateV6(IPAddress address)
    {
        // :: and ::1 first: they also sit inside the IPv4-compatible ::/96.
        foreach (var (network, name) in BlockedRanges.V6.Take(2))
        {
            if (network.Contains(address))
            {
                return AddressVerdict.Block(name);
            }
        }

        if (Ipv4Embedding.TryUnwrap(address) is var (form, embedded))
        {
            if (embedded.Length == 0)
            {
                return AddressVerdict.Block(form + "(ambiguous_layout)");
            }

            foreach (var v4 in embedded)
            {
                var inner = Evaluate(v4);
                if (!inner.Allowed)
                {
                    return AddressVerdict.Block($"{form}({inner.Reason})");
                }
            }

            return new AddressVerdict(true, form + "(public)");
        }

        foreach (var (network, name) in BlockedRanges.V6)
        {
            if (network.Contains(address))
            {
                return AddressVerdict.Block(name);
            }
        }

        return BlockedRanges.GlobalUnicast.Contains(address)
            ? AddressVerdict.Public
            : AddressVerdict.Block("reserved");
    }

    private static IPAddress WithoutScope(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            return new IPAddress(bytes);
        }

        return address;
    }
}
