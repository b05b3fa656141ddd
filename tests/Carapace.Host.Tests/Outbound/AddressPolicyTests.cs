using System.Net;
using Carapace.Host.Outbound;

namespace Carapace.Host.Tests.Outbound;

public sealed class AddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("100.64.0.1", "cgnat")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "ipv4_mapped(loopback)")]
    [InlineData("::7f00:1", "ipv4_compatible(loopback)")]
    [InlineData("::2", "ipv4_compatible(this_network)")]
    [InlineData("64:ff9b::a00:1", "nat64(private)")]
    [InlineData("64:ff9b:1::a9fe:a9fe", "nat64_local(link_local)")]
    [InlineData("64:ff9b:1:ffff::808:808", "nat64_local(ambiguous_layout)")]
    [InlineData("2002:a9fe:a9fe::", "6to4(link_local)")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", "teredo(loopback)")]
    [InlineData("2001:0:c0a8:101:8000:63bf:f7f7:f7f7", "teredo(private)")] // private Teredo server
    [InlineData("fd00:ec2::254", "unique_local")]
    [InlineData("fe80::1", "link_local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("2001:10::1", "ietf_protocol_assignments")]
    [InlineData("4000::1", "reserved")]
    [InlineData("::ffff:0:0:1", "reserved")] // SIIT ::ffff:0:a.b.c.d is not the mapped form
    // Edges of the named ranges, and the first address past each (which falls in the next rule).
    [InlineData("192.88.99.0", "6to4_relay_anycast")]
    [InlineData("192.88.99.255", "6to4_relay_anycast")]
    [InlineData("ff00::", "multicast")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast")]
    [InlineData("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "site_local")]
    [InlineData("2002::", "6to4(unspecified)")]
    [InlineData("2002:ffff:ffff::", "6to4(broadcast)")]
    [InlineData("100::", "discard_only")]
    [InlineData("100::ffff:ffff:ffff:ffff", "discard_only")]
    [InlineData("100:0:0:1::", "reserved")]
    [InlineData("2001:2::", "benchmarking")]
    [InlineData("2001:2:0:ffff:ffff:ffff:ffff:ffff", "benchmarking")]
    [InlineData("2001:2:1::", "ietf_protocol_assignments")]
    [InlineData("5f00::", "srv6_sid")]
    [InlineData("5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "srv6_sid")]
    [InlineData("5f01::", "reserved")]
    public void Blocked_addresses_report_the_range(string address, string reason)
    {
        var verdict = AddressPolicy.Strict.Evaluate(IPAddress.Parse(address));
        Assert.False(verdict.Allowed);
        Assert.Equal(reason, verdict.Reason);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7")]
    [InlineData("192.88.98.255")]
    [InlineData("192.88.100.0")]
    [InlineData("2001:200::1")] // just past 2001::/23
    [InlineData("2003::1")] // just past 2002::/16
    [InlineData("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Public_addresses_and_embeddings_of_public_addresses_are_allowed(string address) =>
        Assert.True(AddressPolicy.Strict.IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void Scope_ids_do_not_change_the_verdict() =>
        Assert.False(AddressPolicy.Strict.IsAllowed(IPAddress.Parse("fe80::1%2")));

    [Fact]
    public void Allow_private_opens_exactly_the_listed_networks_and_their_embeddings()
    {
        var policy = OutboundTestKit.Policy("192.168.1.0/24", "fd00:1::/32", "10.0.0.7");
        Assert.True(policy.IsAllowed(IPAddress.Parse("192.168.1.20")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("::ffff:192.168.1.20")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("64:ff9b::c0a8:114")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("fd00:1::5")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("10.0.0.7")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("10.0.0.8")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("192.168.2.1")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("fd00:2::5")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("127.0.0.1")));
    }

    [Theory]
    [InlineData("10.0.0.1/8", "host bits set")]
    [InlineData("10.1/16", "not a valid CIDR")]
    [InlineData("0x0a000000/8", "not a valid CIDR")]
    [InlineData("2130706433", "not an IP address or CIDR")]
    [InlineData("lan", "not an IP address or CIDR")]
    [InlineData("10.0.0.0/33", "not a valid CIDR")]
    [InlineData("::ffff:10.0.0.0/104", "write IPv4 exceptions in IPv4 form")]
    [InlineData("", "empty entry")]
    [InlineData("0.0.0.0/0", "too broad")]
    [InlineData("128.0.0.0/1", "too broad")]
    [InlineData("8.0.0.0/7", "too broad")]
    [InlineData("::/0", "too broad")]
    [InlineData("fc00::/6", "too broad")]
    public void Allow_private_entries_must_be_exact(string entry, string error)
    {
        Assert.False(OutboundOptions.TryParseNetwork(entry, out _, out var message));
        Assert.Contains(error, message, StringComparison.Ordinal);
    }
}
