using Carapace.Host.Configuration;
using Carapace.Host.PluginHosting;
using Carapace.Plugins.Manifest;

namespace Carapace.Host.Tests.PluginHosting;

public sealed class PluginGrantsTests
{
    private static readonly PluginCapabilities Requested = new(["https://*"], Credentials: true, ["default"], []);

    private static PluginGrants Resolve(string yaml) =>
        PluginGrants.Resolve("demo", Requested, CarapaceConfigLoader.LoadFromText(yaml, "t", null, _ => null).Configuration);

    [Fact]
    public void Without_operator_grants_the_manifest_request_applies()
    {
        var grants = Resolve("plugins: {}\n");

        Assert.Equal(["https://*"], grants.Http);
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
    public void Operator_cannot_grant_credentials_the_manifest_did_not_request()
    {
        var grants = PluginGrants.Resolve("demo", PluginCapabilities.None,
            CarapaceConfigLoader.LoadFromText("plugins:\n  demo:\n    grants:\n      credentials: true\n", "t", null, _ => null).Configuration);

        Assert.False(grants.Credentials);
    }
}
