using System.Net;
using Carapace.Abstractions.Http;
using Carapace.Host.Outbound;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// Pins down what <see cref="Uri"/> (under this repository's InvariantGlobalization) does with each
/// host notation, and that the guard sees the address the OS would connect to. If a runtime update
/// changes Uri's parsing, these fail before the guard silently changes meaning.
/// </summary>
public sealed class UrlNotationTests
{
    [Theory]
    [InlineData("http://2130706433/", UriHostNameType.IPv4, "127.0.0.1")] // 32-bit decimal
    [InlineData("http://0x7f000001/", UriHostNameType.IPv4, "127.0.0.1")] // 32-bit hex
    [InlineData("http://017700000001/", UriHostNameType.IPv4, "127.0.0.1")] // 32-bit octal
    [InlineData("http://0177.0.0.1/", UriHostNameType.IPv4, "127.0.0.1")] // octal part
    [InlineData("http://0x7f.0.0.1/", UriHostNameType.IPv4, "127.0.0.1")] // hex part
    [InlineData("http://0x7F.0X0.0.01/", UriHostNameType.IPv4, "127.0.0.1")] // mixed case hex, octal
    [InlineData("http://127.1/", UriHostNameType.IPv4, "127.0.0.1")] // a.b short form
    [InlineData("http://127.0.1/", UriHostNameType.IPv4, "127.0.0.1")] // a.b.c short form
    [InlineData("http://0x7f.1/", UriHostNameType.IPv4, "127.0.0.1")]
    [InlineData("http://0/", UriHostNameType.IPv4, "0.0.0.0")]
    [InlineData("http://127.000.000.001/", UriHostNameType.IPv4, "127.0.0.1")]
    [InlineData("http://4294967295/", UriHostNameType.IPv4, "255.255.255.255")]
    [InlineData("http://[::1]/", UriHostNameType.IPv6, "::1")]
    [InlineData("http://[0:0:0:0:0:ffff:127.0.0.1]/", UriHostNameType.IPv6, "::ffff:127.0.0.1")]
    [InlineData("http://[::ffff:7f00:1]/", UriHostNameType.IPv6, "::ffff:127.0.0.1")]
    [InlineData("http://[64:ff9b::127.0.0.1]/", UriHostNameType.IPv6, "64:ff9b::7f00:1")]
    [InlineData("http://[fe80::1%25eth0]/", UriHostNameType.IPv6, "fe80::1")] // escaped zone id
    [InlineData("http://[fe80::1%eth0]/", UriHostNameType.IPv6, "fe80::1")] // raw zone id
    public void Uri_parses_the_literal_and_the_guard_sees_the_same_address(string url, UriHostNameType type, string address)
    {
        var uri = new Uri(url);
        Assert.Equal(type, uri.HostNameType);
        Assert.True(OutboundUrl.TryParseLiteral(uri.IdnHost, out var parsed));
        Assert.Equal(IPAddress.Parse(address), parsed);
        var ex = Assert.Throws<OutboundRequestRejectedException>(() => OutboundUrl.Parse(url, AddressPolicy.Strict));
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
    }

    [Theory]
    [InlineData("http://127.0.0.1./")] // Uri calls this a DNS name; the guard still parses it as 127.0.0.1
    [InlineData("http://localhost./")]
    [InlineData("http://LocalHost/")]
    public void Trailing_dot_and_case_variants_are_typed_as_names_by_uri_and_still_refused(string url)
    {
        Assert.Equal(UriHostNameType.Dns, new Uri(url).HostNameType);
        var ex = Assert.Throws<OutboundRequestRejectedException>(() => OutboundUrl.Parse(url, AddressPolicy.Strict));
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
    }

    [Theory]
    [InlineData("http://4294967296/")] // > 32 bits: a name to Uri, not an address
    [InlineData("http://1.2.3.4.5/")]
    [InlineData("http://08.0.0.1/")] // invalid octal digit
    [InlineData("http://1e2/")]
    public void Notations_uri_treats_as_names_go_to_the_resolver_whose_answer_is_checked(string url)
    {
        var uri = new Uri(url);
        Assert.Equal(UriHostNameType.Dns, uri.HostNameType);
        Assert.False(OutboundUrl.TryParseLiteral(uri.IdnHost, out _));
        Assert.Equal(uri.IdnHost, OutboundUrl.Parse(url, AddressPolicy.Strict).IdnHost); // passes the URL stage
    }

    [Theory]
    [InlineData("http://%31%32%37.0.0.1/")] // percent-encoded host
    [InlineData("http://loc%61lhost/")]
    [InlineData("http://127.0.0.1%00.evil.example/")]
    [InlineData("http://example.com\\@127.0.0.1/")]
    [InlineData("http://[v1.fe80::1]/")] // IPvFuture
    [InlineData("http://.127.0.0.1/")]
    public void Notations_uri_rejects_are_invalid_urls(string url)
    {
        Assert.False(Uri.TryCreate(url, UriKind.Absolute, out _));
        var ex = Assert.Throws<OutboundRequestRejectedException>(() => OutboundUrl.Parse(url, AddressPolicy.Strict));
        Assert.Equal(OutboundErrorCodes.InvalidUrl, ex.Code);
    }

    [Fact]
    public void Uri_without_icu_does_not_map_compatibility_characters_so_the_guard_refuses_them()
    {
        var uri = new Uri("http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/");
        Assert.StartsWith("xn--", uri.IdnHost, StringComparison.Ordinal); // no UTS #46 mapping here
        Assert.True(OutboundUrl.HasCompatibilityCharacters(uri.Host));
        Assert.False(OutboundUrl.HasCompatibilityCharacters("b\u00fccher.de")); // ordinary IDN is fine
        var ok = OutboundUrl.Parse("https://b\u00fccher.de/", AddressPolicy.Strict);
        Assert.Equal("xn--bcher-kva.de", ok.IdnHost);
    }

    [Fact]
    public void Userinfo_is_split_off_by_uri_and_refused()
    {
        var uri = new Uri("http://127.0.0.1:80@public.example/");
        Assert.Equal("public.example", uri.Host);
        Assert.Equal("127.0.0.1:80", uri.UserInfo);
        var ex = Assert.Throws<OutboundRequestRejectedException>(() => OutboundUrl.Parse(uri.OriginalString, AddressPolicy.Strict));
        Assert.Equal(OutboundErrorCodes.InvalidUrl, ex.Code);
        Assert.DoesNotContain("127.0.0.1", ex.Message, StringComparison.Ordinal);
    }
}
