using Carapace.Testing.PluginHarness;

namespace Carapace.Plugins.Tests.Runtime;

public sealed class DiscoveryTests
{
    [Fact]
    public async Task Bundled_plugins_load_and_a_load_path_copy_overrides_the_bundled_one()
    {
        using var bundled = new TempDirectory();
        using var dev = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), bundled.Combine("hello"));
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), bundled.Combine("good-tool"));
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dev.Combine("hello"));

        await using var harness = await RuntimeHarness.StartAsync([dev.Combine("hello")], bundledDirectory: bundled.Path);

        var hello = harness.Runtime.Get("hello")!;
        Assert.Equal(("active", "path", dev.Combine("hello")), (hello.State, hello.Source, hello.Directory));
        var good = harness.Runtime.Get("good-tool")!;
        Assert.Equal(("active", "bundled"), (good.State, good.Source));
    }

    [Fact]
    public async Task Duplicate_id_in_the_load_paths_is_listed_as_failed()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Combine("one"));
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Combine("two"));

        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);

        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
        var duplicate = harness.Runtime.Get("hello@two")!;
        Assert.Equal("failed", duplicate.State);
        Assert.Equal($"duplicate plugin id 'hello' (already loaded from {dir.Combine("one")})", duplicate.Reason);
    }

    [Fact]
    public async Task Assembly_outside_the_manifest_allowlist_is_refused()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Path);
        File.AppendAllText(dir.Combine("plugin.yaml"), "assemblies: [HelloPlugin.dll]\n");
        File.Copy(dir.Combine("HelloPlugin.dll"), dir.Combine("Smuggled.dll"));

        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);

        var info = harness.Runtime.Get("hello")!;
        Assert.Equal("failed", info.State);
        Assert.Equal("assembly 'Smuggled.dll' is not in the manifest's assemblies allowlist", info.Reason);
    }

    [Fact]
    public async Task Missing_load_path_is_logged_and_ignored()
    {
        await using var harness = await RuntimeHarness.StartAsync(["/nonexistent/carapace/plugins", "hello"]);

        Assert.Equal(["hello"], harness.Runtime.List().Select(p => p.Id));
        Assert.Contains(harness.Logs.Lines, l => l.Contains("/nonexistent/carapace/plugins does not exist", StringComparison.Ordinal));
    }
}
