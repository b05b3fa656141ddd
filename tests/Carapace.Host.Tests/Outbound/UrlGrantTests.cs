using Carapace.Host.Outbound;

namespace Carapace.Host.Tests.Outbound;

public sealed class UrlGrantTests
{
    [Theory]
    // scheme: https by default; http only when the grant says so (and then https too)
    [InlineData("api.example.com", "https://api.example.com/x", true)]
    [InlineData("api.example.com", "http://api.example.com/x", false)]
    [InlineData("https://api.example.com", "http://api.example.com/", false)]
    [InlineData("http://api.example.com", "http://api.example.com/", true)]
    [InlineData("http://api.example.com", "https://api.example.com/", true)]
    // host: exact, case-insensitive, trailing dot, IDN
    [InlineData("https://api.example.com", "https://API.Example.COM./", true)]
    [InlineData("https://api.example.com", "https://api.example.com.evil.net/", false)]
    [InlineData("https://api.example.com", "https://evilapi.example.com/", false)]
    [InlineData("https://b\u00fccher.de", "https://xn--bcher-kva.de/", true)]
    // wildcard: subdomains at any depth, never the apex or look-alikes
    [InlineData("https://*.example.com", "https://a.example.com/", true)]
    [InlineData("https://*.example.com", "https://a.b.example.com/", true)]
    [InlineData("https://*.example.com", "https://example.com/", false)]
    [InlineData("https://*.example.com", "https://badexample.com/", false)]
    [InlineData("https://*", "https://anything.example/", true)]
    [InlineData("https://*", "http://anything.example/", false)]
    // port: the default unless the grant names one
    [InlineData("https://api.example.com", "https://api.example.com:8443/", false)]
    [InlineData("https://api.example.com:8443", "https://api.example.com:8443/", true)]
    [InlineData("https://api.example.com:443", "https://api.example.com/", true)]
    [InlineData("https://api.example.com:8443", "https://api.example.com/", false)]
    // path prefix: whole segments, after dot-segment normalisation, no encoded separators
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1", true)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1/users?x=1", true)]
    [InlineData("https://api.example.com/v1/", "https://api.example.com/v1/users", true)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v10", false)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/V1/users", false)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1/../admin", false)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1/%2e%2e/admin", false)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1%2F..%2Fadmin", false)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/v1/..%2fadmin", false)]
    [InlineData("https://api.example.com/v1", "https://api.example.com/", false)]
    // IP literal grants
    [InlineData("http://192.168.1.5:8080", "http://192.168.1.5:8080/status", true)]
    [InlineData("http://192.168.1.5:8080", "http://3232235781:8080/status", true)] // same address, decimal
    [InlineData("http://[fd00::5]", "http://[fd00:0::5]/", true)]
    public void Grant_matching(string pattern, string url, bool expected) =>
        Assert.Equal(expected, UrlGrant.Parse(pattern).Matches(new Uri(url)));

    [Theory]
    [InlineData("")]
    [InlineData("ftp://example.com")]
    [InlineData("https://api.*.example.com")]
    [InlineData("https://*example.com")]
    [InlineData("https://example.com/*")]
    [InlineData("https://user@example.com")]
    [InlineData("https://example.com/?q=1")]
    [InlineData("https://example.com/#f")]
    [InlineData("https://")]
    public void Invalid_patterns_are_refused(string pattern) =>
        Assert.Throws<FormatException>(() => UrlGrant.Parse(pattern));
}
