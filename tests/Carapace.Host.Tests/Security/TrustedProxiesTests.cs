using System.Net;
using Carapace.Host.Configuration;
using Carapace.Host.Gateway;
using Carapace.Host.Security;
using Microsoft.Extensions.Primitives;

namespace Carapace.Host.Tests.Security;

public sealed class TrustedProxiesTests
{
    private static TrustedProxies Proxies(params string[] entries) =>
        new(entries.Select(e => TrustedProxies.TryParseEntry(e, out var n) ? n : throw new ArgumentException(e)).ToList());

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]                             // the proxy's client
    [InlineData("198.51.100.1, 203.0.113.9", "203.0.113.9")]               // left entries are client-written
    [InlineData("127.0.0.1, 203.0.113.9", "203.0.113.9")]                  // a spoofed loopback on the left is ignored
    [InlineData("203.0.113.9, 10.0.0.5", "203.0.113.9")]                   // a second trusted proxy is walked past
    [InlineData("203.0.113.9,10.0.0.5,10.0.0.6", "203.0.113.9")]
    [InlineData("10.0.0.5", "10.0.0.5")]                                   // all trusted: the leftmost
    [InlineData("203.0.113.9:4711", "203.0.113.9")]
    [InlineData("[2001:db8::1]:4711", "2001:db8::1")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("garbage", "10.0.0.1")]                                    // unparsable: stop at the last trusted hop
    [InlineData("203.0.113.9, garbage", "10.0.0.1")]
    [InlineData("", "10.0.0.1")]
    public void Resolve_takes_the_first_untrusted_hop_from_the_right(string forwardedFor, string expected)
    {
        var proxies = Proxies("10.0.0.0/8");

        Assert.Equal(IPAddress.Parse(expected), proxies.Resolve(IPAddress.Parse("10.0.0.1"), new StringValues(forwardedFor)));
    }

    [Fact]
    public void Several_forwarded_for_headers_are_one_list_in_order()
    {
        var proxies = Proxies("10.0.0.1");

        Assert.Equal(IPAddress.Parse("203.0.113.9"),
            proxies.Resolve(IPAddress.Parse("10.0.0.1"), new StringValues(["198.51.100.1", "203.0.113.9"])));
    }

    [Fact]
    public void An_untrusted_peer_is_the_client_whatever_it_forwards()
    {
        var proxies = Proxies("10.0.0.1");

        Assert.Equal(IPAddress.Parse("192.0.2.50"), proxies.Resolve(IPAddress.Parse("192.0.2.50"), new StringValues("127.0.0.1")));
        Assert.Equal(IPAddress.Parse("127.0.0.1"), TrustedProxies.None.Resolve(IPAddress.Parse("127.0.0.1"), new StringValues("203.0.113.9")));
    }

    [Fact]
    public void Ipv4_mapped_peers_match_ipv4_entries()
    {
        var proxies = Proxies("127.0.0.1", "::ffff:10.0.0.0/104");

        Assert.Equal(IPAddress.Parse("203.0.113.9"), proxies.Resolve(IPAddress.Parse("::ffff:127.0.0.1"), new StringValues("203.0.113.9")));
        Assert.True(proxies.IsTrusted(IPAddress.Parse("10.1.2.3")));
    }

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("2001:db8::/32", true)]
    [InlineData("[::1]", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.1/8", false)]
    [InlineData("example.com", false)]
    [InlineData("fe80::1%eth0", false)]
    [InlineData("", false)]
    public void Entries_are_ip_addresses_or_cidr_ranges(string entry, bool valid) =>
        Assert.Equal(valid, TrustedProxies.TryParseEntry(entry, out _));

    [Fact]
    public void A_bad_entry_in_the_configuration_names_its_key_and_line()
    {
        var config = CarapaceConfigLoader.LoadFromText("gateway:\n  trustedProxies:\n    - 10.0.0.1\n    - nonsense\n", "carapace.yaml", null, _ => null);

        var errors = ConfigValidation.Validate(config);

        var error = Assert.Single(errors);
        Assert.Equal("carapace.yaml:4:7: gateway.trustedProxies.1: must be an IP address or a CIDR range such as 10.0.0.0/8 (got 'nonsense')", error.ToString());
    }

    [Fact]
    public void Ipv6_clients_are_keyed_by_their_64_prefix()
    {
        var a = ClientAddress.ThrottleKey(IPAddress.Parse("2001:db8:1:2:aaaa::1"));
        var b = ClientAddress.ThrottleKey(IPAddress.Parse("2001:db8:1:2:bbbb::9"));
        var other = ClientAddress.ThrottleKey(IPAddress.Parse("2001:db8:1:3::1"));

        Assert.Equal(a, b);
        Assert.NotEqual(a, other);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), ClientAddress.ThrottleKey(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Security_settings_have_upstream_defaults()
    {
        var reader = new SettingsReader(CarapaceConfigLoader.LoadFromText(null, null, null, _ => null));
        var settings = GatewaySettingsReader.Read(reader).Security;

        Assert.Empty(reader.Errors);
        Assert.Equal(new RateLimitSettings(true, true, 100, 200, 50, 100), settings.RateLimit);
        Assert.Equal(10, settings.AuthThrottle.MaxFailures);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.AuthThrottle.Window);
        Assert.Equal(256 * 1024, settings.Limits.MaxBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Limits.RequestHeadersTimeout);
        Assert.False(settings.Tls.Enabled);
        Assert.True(settings.TrustedProxies.IsEmpty);
    }

    [Theory]
    [InlineData("gateway:\n  tls:\n    certPath: /x.pem\n", "gateway.tls.certPath: needs gateway.tls.keyPath")]
    [InlineData("gateway:\n  tls:\n    keyPath: /x.key\n", "gateway.tls.keyPath: needs gateway.tls.certPath")]
    [InlineData("gateway:\n  tls:\n    certPath: /a\n    keyPath: /b\n    selfSigned: true\n", "gateway.tls.selfSigned: cannot be combined")]
    [InlineData("gateway:\n  rateLimit:\n    burst: 0\n", "gateway.rateLimit.burst: must be between 1 and")]
    [InlineData("gateway:\n  authThrottle:\n    lockoutSeconds: 100\n    maxLockoutSeconds: 50\n", "gateway.authThrottle.maxLockoutSeconds: must be at least")]
    [InlineData("gateway:\n  csrf:\n    allowedOrigins:\n      - ftp://x\n", "gateway.csrf.allowedOrigins.0: must be an origin")]
    [InlineData("gateway:\n  limits:\n    requestHeadersTimeoutSeconds: 0\n", "gateway.limits.requestHeadersTimeoutSeconds: must be between 1 and 600")]
    [InlineData("gateway:\n  tls:\n    selfSigned: true\n    hostNames: [\"ok.example\", \"not a name\"]\n", "gateway.tls.hostNames.1: must be a DNS name or an IP address")]
    [InlineData("gateway:\n  tls:\n    hostNames: [carapace.lan]\n", "gateway.tls.hostNames: names the self-signed certificate; set gateway.tls.selfSigned: true")]
    public void Invalid_security_settings_are_reported_with_their_key(string yaml, string expected)
    {
        var errors = ConfigValidation.Validate(CarapaceConfigLoader.LoadFromText(yaml, "carapace.yaml", null, _ => null));

        Assert.Contains(errors, e => e.ToString().Contains(expected, StringComparison.Ordinal));
    }
}
