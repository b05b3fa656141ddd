using Carapace.Plugins.Loading;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Tests.Runtime;

public sealed class PluginLoadingTests
{
    [Fact]
    public async Task Good_tool_plugin_loads_with_its_own_config_section_only()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool"], new Dictionary<string, string?>
        {
            ["plugins:good-tool:greeting"] = "hi",
            ["plugins:good-tool:enabled"] = "true",
            ["plugins:good-tool:grants:http:0"] = "https://api.example.com/*",
            ["plugins:good-tool-2:greeting"] = "not mine either",
            ["plugins:other:greeting"] = "not mine",
        });

        var info = harness.Runtime.Get("good-tool")!;
        Assert.Equal("active", info.State);
        Assert.Equal(["echo"], info.Tools);
        Assert.Equal("path", info.Source);
        Assert.True(info.LoadMs > 0);

        var result = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"world"}"""));

        Assert.Equal(ToolResultCodes.Ok, result.Code);
        Assert.Equal("hi: world", result.Output!.Value.GetProperty("text").GetString());
        // The host's keys (enabled, grants) and other plugins' sections never reach the plugin.
        Assert.Equal(["greeting"], result.Output!.Value.GetProperty("configKeys").EnumerateArray().Select(k => k.GetString()));
        Assert.Contains(harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Loaded });
    }

    [Fact]
    public async Task Config_that_violates_the_schema_fails_the_plugin_and_others_still_load()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool", "hello"], new Dictionary<string, string?>
        {
            ["plugins:good-tool:repeat"] = "7",
        });

        var failed = harness.Runtime.Get("good-tool")!;
        Assert.Equal("failed", failed.State);
        Assert.Contains("configuration plugins:good-tool does not satisfy the manifest's configSchema", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("/repeat", failed.Reason, StringComparison.Ordinal);
        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
    }

    [Fact]
    public async Task Newer_abi_plugin_is_refused_with_a_clear_reason()
    {
        await using var harness = await RuntimeHarness.StartAsync(["newer-abi", "hello"]);

        var info = harness.Runtime.Get("newer-abi")!;
        Assert.Equal("failed", info.State);
        Assert.Equal($"plugin targets ABI 1.99, newer than this host's ABI {Carapace.Abstractions.CarapaceAbi.Major}.{Carapace.Abstractions.CarapaceAbi.Minor}; upgrade Carapace or use a plugin version built for this ABI", info.Reason);
        Assert.DoesNotContain(harness.Runtime.ListTools(), t => t.PluginId == "newer-abi");
        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
    }

    [Fact]
    public async Task Plugin_shipping_its_own_abstractions_copy_is_refused_not_silently_broken()
    {
        Assert.True(File.Exists(Path.Combine(RuntimeHarness.PluginDirectory("shared-copy"), "Carapace.Abstractions.dll")), "fixture must ship the copy");

        await using var harness = await RuntimeHarness.StartAsync(["shared-copy", "hello"]);

        var info = harness.Runtime.Get("shared-copy")!;
        Assert.Equal("failed", info.State);
        Assert.StartsWith("the plugin folder ships its own copy of Carapace.Abstractions.dll", info.Reason, StringComparison.Ordinal);
        Assert.Contains("Private=false and ExcludeAssets=runtime", info.Reason, StringComparison.Ordinal);
        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
    }

    [Fact]
    public async Task Private_copy_of_microsoft_extensions_primitives_is_reported_like_the_other_shared_assemblies()
    {
        var primitives = typeof(Microsoft.Extensions.Primitives.IChangeToken).Assembly;
        Assert.Contains(primitives, SharedAssemblies.All);
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Path);
        File.Copy(primitives.Location, dir.Combine("Microsoft.Extensions.Primitives.dll"));

        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);

        // The host's own version: harmless once shared, so a warning; a newer one would refuse the plugin.
        var info = harness.Runtime.Get("hello")!;
        Assert.Equal("active", info.State);
        Assert.Contains(info.Warnings, w => w.StartsWith("the plugin folder ships a copy of Microsoft.Extensions.Primitives.dll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_manifest_fails_with_line_and_column_and_the_host_keeps_going()
    {
        await using var harness = await RuntimeHarness.StartAsync(["bad-manifest", "good-tool"]);

        var info = harness.Runtime.Get("bad-manifest")!;
        Assert.Equal("failed", info.State);
        Assert.Equal("plugin.yaml: unknown field 'entrypoint'; did you mean 'entryAssembly'? (line 5, column 1)", info.Reason);
        Assert.Equal(1, info.ErrorCount);
        Assert.Equal("active", harness.Runtime.Get("good-tool")!.State);
        Assert.Contains(harness.Events.All, e => e is { PluginId: "bad-manifest", Kind: PluginLifecycleEventKind.Failed });
    }

    [Fact]
    public async Task Plugins_enabled_false_disables_every_plugin()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool", "hello"], new Dictionary<string, string?> { ["plugins:enabled"] = "false" });

        Assert.All(harness.Runtime.List(), p => Assert.Equal("disabled", p.State));
        Assert.Empty(harness.Runtime.ListTools());
        var enable = await harness.Runtime.EnableAsync("hello");
        Assert.Equal("plugins_disabled", enable.Code);
    }

    [Fact]
    public async Task Per_plugin_enabled_flag_and_enabledByDefault_are_honoured()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool", "console"], new Dictionary<string, string?> { ["plugins:good-tool:enabled"] = "false" });

        Assert.Equal("disabled", harness.Runtime.Get("good-tool")!.State);
        var console = harness.Runtime.Get("console")!;
        Assert.Equal("disabled", console.State);
        Assert.Equal("not enabled by default; set plugins.console.enabled: true", console.Reason);
        Assert.Equal("disabled by configuration (plugins.good-tool.enabled: false)", harness.Runtime.Get("good-tool")!.Reason);
    }

    [Fact]
    public async Task Load_path_with_several_plugin_folders_discovers_each()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Combine("a"));
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), dir.Combine("b"));

        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);

        Assert.Equal(["good-tool", "hello"], harness.Runtime.List().Select(p => p.Id));
        Assert.All(harness.Runtime.List(), p => Assert.Equal("active", p.State));
    }

    [Fact]
    public async Task Same_tool_name_from_two_plugins_fails_the_second()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Combine("hello-2"));
        var yaml = dir.Combine("hello-2", "plugin.yaml");
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace("id: hello", "id: hello-2", StringComparison.Ordinal));

        await using var harness = await RuntimeHarness.StartAsync(["hello", dir.Combine("hello-2")]);

        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
        var second = harness.Runtime.Get("hello-2")!;
        Assert.Equal("failed", second.State);
        Assert.Equal("tool 'hello' is already provided by plugin 'hello'", second.Reason);
    }

    [Fact]
    public async Task Host_services_are_denied_by_default()
    {
        var factory = new DenyAllPluginServicesFactory();
        var services = factory.Create(new PluginServiceRequest("x", "1.0.0", Carapace.Plugins.Manifest.PluginCapabilities.None));

        var ex = await Assert.ThrowsAsync<Carapace.Abstractions.CapabilityDeniedException>(
            () => services.Http.SendAsync(new Carapace.Abstractions.Http.PluginHttpRequest("GET", "https://example.com"), CancellationToken.None));
        Assert.Equal("x", ex.PluginId);
        Assert.Equal("http", ex.Capability);
    }

    [Theory]
    [InlineData("console")]
    [InlineData("webhook")]
    [InlineData("files")]
    [InlineData("good-tool")]
    [InlineData("hello")]
    public void Published_plugin_folders_hold_no_shared_assembly(string id)
    {
        var files = Directory.GetFiles(RuntimeHarness.PluginDirectory(id)).Select(Path.GetFileName).ToList();

        foreach (var shared in SharedAssemblies.All)
        {
            Assert.DoesNotContain(shared.GetName().Name + ".dll", files);
        }

        Assert.DoesNotContain("Microsoft.Extensions.Primitives.dll", files);
        Assert.Contains("plugin.yaml", files);
    }
}
