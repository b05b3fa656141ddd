using Carapace.Host.Configuration;
using Carapace.Host.PluginHosting;
using Carapace.Plugins.Manifest;

namespace Carapace.Host.Tests.PluginHosting;

public sealed class PluginGrantsTests
{
    private static readonly PluginCapabilities Requested = new(["https://*.example.com", "https://api.example.org/v1"], Credentials: true, ["default"], [], ["ops", "alerts"]);

    private static PluginGrants Resolve(string yaml) =>
        PluginGrants.Resolve("demo", Requested, CarapaceConfigLoader.LoadFromText(yaml, "t", null, _ => null).Configuration);

    [Fact]
    public void Without_operator_grants_the_manifest_request_applies()
    {
        var grants = Resolve("plugins: {}\n");

        Assert.Equal(["https://api.example.org/v1"], grants.Http); // wildcard hosts are never implicit
        Assert.True(grants.Credentials);
        Assert.Equal(["default"], grants.SubprocessProfiles);
    }

    [Fact]
    public void Operator_lists_replace_the_manifest_and_can_revoke()
    {
        var grants = Resolve("plugins:\n  demo:\n    grants:\n      http: [\"https://api.example.com/v1\"]\n      subprocess: []\n      credentials: false\n");

        Assert.Equal(["https://api.example.com/v1"], grants.Http);
        Assert.Empty(grants.SubprocessProfiles);
        Assert.False(grants.Credentials);
    }

    [Fact]
    public void Channels_are_granted_as_requested_narrowed_by_the_operator_and_never_widened()
    {
        Assert.Equal(["ops", "alerts"], Resolve("plugins: {}\n").Channels);
        Assert.Equal(["alerts"], Resolve("plugins:\n  demo:\n    grants:\n      channels: [alerts]\n").Channels);
        Assert.Empty(Resolve("plugins:\n  demo:\n    grants:\n      channels: []\n").Channels!);
        var wider = Assert.Throws<InvalidOperationException>(() => Resolve("plugins:\n  demo:\n    grants:\n      channels: [console]\n"));
        Assert.Equal("plugins.demo.grants.channels: 'console' is outside what the plugin's manifest requests (ops, alerts)", wider.Message);

        // "*" is a ceiling the operator may grant, never a grant by default.
        var any = Requested with { Channels = ["*"] };
        var config = CarapaceConfigLoader.LoadFromText("plugins: {}\n", "t", null, _ => null).Configuration;
        Assert.Empty(PluginGrants.Resolve("demo", any, config).Channels!);
        var granted = CarapaceConfigLoader.LoadFromText("plugins:\n  demo:\n    grants:\n      channels: [console]\n", "t", null, _ => null).Configuration;
        Assert.Equal(["console"], PluginGrants.Resolve("demo", any, granted).Channels);
    }

    [Fact]
    public void Operator_cannot_grant_credentials_the_manifest_did_not_request()
    {
        var grants = PluginGrants.Resolve("demo", PluginCapabilities.None,
            CarapaceConfigLoader.LoadFromText("plugins:\n  demo:\n    grants:\n      credentials: true\n", "t", null, _ => null).Configuration);

        Assert.False(grants.Credentials);
    }

    [Fact]
    public void Operator_grant_outside_the_manifest_request_fails_the_plugin()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            Resolve("plugins:\n  demo:\n    grants:\n      http: [\"https://evil.test\"]\n"));

        Assert.Contains("outside what the plugin's manifest requests", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://*", "https://a.example.com/x", true)]
    [InlineData("https://*.example.com", "https://a.example.com/x", true)]
    [InlineData("https://*.example.com", "https://*.b.example.com", true)]
    [InlineData("https://*.example.com", "https://example.com", false)]
    [InlineData("https://*.example.com", "https://*", false)]
    [InlineData("https://api.example.org/v1", "https://api.example.org/v1/items", true)]
    [InlineData("https://api.example.org/v1", "https://api.example.org/v10", false)]
    [InlineData("https://api.example.org", "http://api.example.org", false)]
    [InlineData("http://api.example.org", "https://api.example.org", true)]
    [InlineData("https://api.example.org:8443", "https://api.example.org", false)]
    public void Covers_is_strict_containment(string manifest, string operatorPattern, bool expected) =>
        Assert.Equal(expected, Carapace.Host.Outbound.UrlGrant.Parse(manifest).Covers(Carapace.Host.Outbound.UrlGrant.Parse(operatorPattern)));

    [Fact]
    public void Http_rate_limit_comes_from_the_operator_grant_else_the_network_default()
    {
        Assert.Null(Resolve("plugins: {}\n").HttpRequestsPerMinute);
        Assert.Equal(7, Resolve("plugins:\n  demo:\n    grants:\n      httpRequestsPerMinute: 7\n").HttpRequestsPerMinute);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("many")]
    [InlineData("2.5")]
    public void Invalid_http_rate_limit_fails_the_plugin(string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Resolve($"plugins:\n  demo:\n    grants:\n      httpRequestsPerMinute: \"{value}\"\n"));

        Assert.Contains("plugins.demo.grants.httpRequestsPerMinute", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    [InlineData("true", true)]
    public void Credentials_revocation_accepts_the_usual_spellings(string value, bool granted) =>
        Assert.Equal(granted, Resolve($"plugins:\n  demo:\n    grants:\n      credentials: {value}\n").Credentials);

    [Fact]
    public void A_credentials_grant_that_is_not_a_boolean_fails_the_plugin_instead_of_staying_granted()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Resolve("plugins:\n  demo:\n    grants:\n      credentials: nope\n"));

        Assert.Contains("plugins.demo.grants.credentials must be true or false (got 'nope')", ex.Message, StringComparison.Ordinal);
    }
}
