using Carapace.Plugins.Activation;
using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Tests.Activation;

public sealed class PluginConfigurationTests
{
    [Fact]
    public void Snapshot_holds_the_plugins_own_keys_without_host_only_keys_or_other_plugins()
    {
        var host = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["plugins:good-tool:greeting"] = "hi",
            ["plugins:good-tool:enabled"] = "true",
            ["plugins:good-tool:grants:http:0"] = "https://api.example.com/*",
            ["plugins:good-tool:Grants:subprocess:0"] = "build",
            ["plugins:good-tool:nested:enabled"] = "kept: only the top-level key is the host's",
            ["plugins:good-tool-extra:greeting"] = "a prefix is not a section",
            ["plugins:other:greeting"] = "not mine",
            ["channels:good-tool:tools:0"] = "echo",
        }).Build();

        var snapshot = PluginConfiguration.Snapshot(host, "good-tool");

        var keys = snapshot.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => kv.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["greeting", "nested:enabled"], keys);
        Assert.Equal("hi", snapshot["greeting"]);
    }

    [Theory]
    [InlineData("good-channel", true)]
    [InlineData("a_b-c9", true)]
    [InlineData("good-channel\n", false)]
    [InlineData("good\r\n", false)]
    [InlineData("-leading", false)]
    [InlineData("Upper", false)]
    [InlineData("", false)]
    public void Channel_ids_are_anchored_at_the_very_end(string id, bool valid) =>
        Assert.Equal(valid, PluginActivator.IsValidChannelId(id));
}
