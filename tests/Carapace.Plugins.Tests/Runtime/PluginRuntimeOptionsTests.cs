using Carapace.Plugins.Runtime;
using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Tests.Runtime;

public sealed class PluginRuntimeOptionsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Defaults_apply_when_nothing_is_configured()
    {
        var options = PluginRuntimeOptions.FromConfiguration(Config(), "/app/plugins");

        Assert.True(options.Enabled);
        Assert.False(options.Watch);
        Assert.Empty(options.LoadPaths);
        Assert.Equal("/app/plugins", options.BundledDirectory);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ToolTimeout);
        Assert.Equal(0, options.FaultAfter);
    }

    [Fact]
    public void Settings_are_read_from_the_plugins_section()
    {
        var options = PluginRuntimeOptions.FromConfiguration(Config(
            ("plugins:enabled", "false"),
            ("plugins:watch", "true"),
            ("plugins:load:paths:0", "/a"),
            ("plugins:load:paths:1", "/b"),
            ("plugins:runtime:toolTimeoutSeconds", "2.5"),
            ("plugins:runtime:channelMaxRestarts", "7"),
            ("plugins:runtime:faultAfter", "4")));

        Assert.False(options.Enabled);
        Assert.True(options.Watch);
        Assert.Equal(["/a", "/b"], options.LoadPaths);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.ToolTimeout);
        Assert.Equal(7, options.ChannelMaxRestarts);
        Assert.Equal(4, options.FaultAfter);
    }

    [Fact]
    public void A_single_load_path_may_be_a_scalar() =>
        Assert.Equal(["/only"], PluginRuntimeOptions.FromConfiguration(Config(("plugins:load:paths", "/only"))).LoadPaths);

    [Theory]
    [InlineData("plugins:enabled", "yes", "plugins.enabled", "must be true or false, not 'yes'")]
    [InlineData("plugins:runtime:toolTimeoutSeconds", "0", "plugins.runtime.toolTimeoutSeconds", "must be a number of seconds in (0, 86400], not '0'")]
    [InlineData("plugins:runtime:unloadGcIterations", "zero", "plugins.runtime.unloadGcIterations", "must be an integer >= 1, not 'zero'")]
    [InlineData("plugins:runtime:watchDebounceMs", "-1", "plugins.runtime.watchDebounceMs", "must be a number of milliseconds in [0, 3600000], not '-1'")]
    public void Invalid_values_name_the_key(string key, string value, string dottedKey, string problem)
    {
        var ex = Assert.Throws<PluginOptionsException>(() => PluginRuntimeOptions.FromConfiguration(Config((key, value))));

        Assert.Equal(dottedKey, ex.Key);
        Assert.Equal(problem, ex.Problem);
        Assert.Equal($"{dottedKey}: {problem}", ex.Message);
    }
}
