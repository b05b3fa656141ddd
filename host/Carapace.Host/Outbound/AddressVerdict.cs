namespace Carapace.Host.Outbound;

/// <summary>Whether an address may be connected to, and the range that decided it.</summary>
/// <param name="Allowed">True when the address is public or covered by an operator exception.</param>
/// <param name="Reason">Short, stable range name (e.g. <c>loopback</c>, <c>ipv4_mapped(loopback)</c>, <c>public</c>).</param>
internal readonly record struct AddressVerdict(bool Allowed, string Reason)
{
    public static AddressVerdict Public { get; } = new(true, "public");

    public static AddressVerdict Block(string reason) => new(false, reason);
}
