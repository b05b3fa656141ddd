using Carapace.Plugins.Services;
using Carapace.Plugins.Tests.Support;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Tests.Runtime;

public sealed class ReloadTests
{
    [Fact]
    public async Task Reload_while_calls_are_in_flight_loses_none()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool"]);
        var first = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x"}"""));
        var oldInstance = first.Output!.Value.GetProperty("instance").GetString();

        var inFlight = Enumerable.Range(0, 20)
            .Select(i => harness.Runtime.InvokeToolAsync("echo", JsonText.Parse($$"""{"text":"old-{{i}}","delayMs":400}""")))
            .ToList();
        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("good-tool")!.InFlight == 20));

        var reload = harness.Runtime.ReloadAsync("good-tool");
        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("good-tool")!.Generation == 2));
        var after = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => harness.Runtime.InvokeToolAsync("echo", JsonText.Parse($$"""{"text":"new-{{i}}"}"""))));
        var before = await Task.WhenAll(inFlight);
        var result = await reload;

        Assert.True(result.Succeeded, result.Message);
        Assert.All(before, r => Assert.Equal(ToolResultCodes.Ok, r.Code));
        Assert.All(before, r => Assert.Equal(oldInstance, r.Output!.Value.GetProperty("instance").GetString()));
        Assert.All(after, r => Assert.Equal(ToolResultCodes.Ok, r.Code));
        var newInstance = after[0].Output!.Value.GetProperty("instance").GetString();
        Assert.NotEqual(oldInstance, newInstance);
        Assert.All(after, r => Assert.Equal(newInstance, r.Output!.Value.GetProperty("instance").GetString()));
        Assert.Contains(harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Unloaded });
        Assert.Contains(harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Reloaded });
    }

    [Fact]
    public async Task Failed_reload_keeps_the_previous_version_serving()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), dir.Path);
        await using var harness = await RuntimeHarness.StartAsync([dir.Path]);
        File.WriteAllText(dir.Combine("plugin.yaml"), File.ReadAllText(dir.Combine("plugin.yaml")).Replace("targetAbi: \"1.0\"", "targetAbi: \"2.0\"", StringComparison.Ordinal));

        var result = await harness.Runtime.ReloadAsync("good-tool");

        Assert.Equal("plugin_failed", result.Code);
        Assert.Contains("previous version still active", result.Message, StringComparison.Ordinal);
        Assert.Contains("the major version must match", result.Message, StringComparison.Ordinal);
        Assert.Equal("active", harness.Runtime.Get("good-tool")!.State);
        Assert.Equal(ToolResultCodes.Ok, (await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"still"}"""))).Code);
    }

    [Fact]
    public async Task Watch_reloads_a_plugin_when_its_files_change()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), dir.Path);
        await using var harness = await RuntimeHarness.StartAsync([dir.Path], new Dictionary<string, string?> { ["plugins:watch"] = "true" },
            configure: o => o.WatchDebounce = TimeSpan.FromMilliseconds(100));
        var first = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x"}"""));

        File.AppendAllText(dir.Combine("plugin.yaml"), "\ndescription: touched\n");

        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("good-tool")!.Generation == 2 && harness.Runtime.Get("good-tool")!.State == "active"));
        var second = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x"}"""));
        Assert.NotEqual(first.Output!.Value.GetProperty("instance").GetString(), second.Output!.Value.GetProperty("instance").GetString());
    }

    [Fact]
    public async Task Reload_of_an_unknown_plugin_is_not_found()
    {
        await using var harness = await RuntimeHarness.StartAsync(["hello"]);

        var result = await harness.Runtime.ReloadAsync("nope");

        Assert.Equal("plugin_not_found", result.Code);
    }
}
