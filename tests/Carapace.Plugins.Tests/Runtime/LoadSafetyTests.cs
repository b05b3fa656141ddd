using Carapace.Plugins.Packaging;
using Carapace.Testing.PluginHarness;

namespace Carapace.Plugins.Tests.Runtime;

/// <summary>Directory safety is applied at every load of a configured (plugins.load.paths) plugin, not only to managed ones.</summary>
public sealed class LoadSafetyTests
{
    [Fact]
    public async Task A_world_writable_plugin_directory_is_refused_at_load()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), dir.Path);
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1FF);

        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);

        var plugin = harness.Runtime.Get("good-tool")!;
        Assert.Equal("failed", plugin.State);
        Assert.StartsWith(DirectorySafetyCodes.WorldWritable, plugin.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_escaping_the_plugin_directory_is_refused_at_load_and_at_reload()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), dir.Path);
        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);
        Assert.Equal("active", harness.Runtime.Get("good-tool")!.State);
        File.CreateSymbolicLink(dir.Combine("Extra.dll"), "/etc/passwd");

        var reload = await harness.Runtime.ReloadAsync("good-tool");

        Assert.Equal("plugin_failed", reload.Code);
        Assert.Contains(DirectorySafetyCodes.SymlinkEscape, reload.Message, StringComparison.Ordinal);
    }
}
