using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Tests.Runtime;

public sealed partial class ReloadTests
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
    public async Task Reload_under_a_continuous_stream_of_calls_loses_none()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool"]);
        var oldInstance = Instance(await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"warm"}""")));
        var results = new ConcurrentQueue<(bool StartedAfterReload, ToolInvocationResult Result)>();
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var afterReload = reloaded.Task.IsCompleted;
                var result = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse($$"""{"text":"w{{w}}-{{n}}","delayMs":3}"""));
                results.Enqueue((afterReload, result));
            }
        })).ToList();
        Assert.True(await Eventually.TrueAsync(() => results.Count >= 40), "the stream did not get going");

        var reload = await harness.Runtime.ReloadAsync("good-tool");
        reloaded.SetResult();
        var atReload = results.Count;
        Assert.True(await Eventually.TrueAsync(() => results.Count >= atReload + 40), "the stream stalled after the reload");
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.True(reload.Succeeded, reload.Message);
        var all = results.ToList();
        var newInstance = Instance(await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"after"}""")));
        Assert.NotEqual(oldInstance, newInstance);
        // None failed or went missing (every call the workers started has an ok result) ...
        Assert.All(all, r => Assert.True(r.Result.Code == ToolResultCodes.Ok, $"{r.Result.Code}: {r.Result.Error}"));
        // ... the old generation served the stream up to the swap and finished what it had ...
        Assert.Contains(all, r => Instance(r.Result) == oldInstance);
        Assert.All(all, r => Assert.Contains(Instance(r.Result), new[] { oldInstance, newInstance }));
        // ... and every call that started once the reload was done ran on the new one.
        Assert.All(all.Where(r => r.StartedAfterReload), r => Assert.Equal(newInstance, Instance(r.Result)));
        Assert.Contains(all, r => r.StartedAfterReload);
        Assert.Single(harness.Events.All, e => e is { PluginId: "good-tool", Kind: PluginLifecycleEventKind.Unloaded });
    }

    [Fact]
    public async Task Reloading_a_channel_plugin_leaves_exactly_one_receive_loop()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel"], new Dictionary<string, string?>
        {
            ["channels:good-channel:allowFrom:0"] = "alice",
        });
        Assert.True(await Eventually.TrueAsync(() => LoopLog(harness, "started").Count == 1), "the first loop did not start");
        var first = LoopLog(harness, "started").Single();

        var reload = await harness.Runtime.ReloadAsync("good-channel");

        Assert.True(reload.Succeeded, reload.Message);
        Assert.True(await Eventually.TrueAsync(() => LoopLog(harness, "started").Count == 2), "the new loop did not start");
        var started = LoopLog(harness, "started");
        Assert.NotEqual(first, started[1]);
        Assert.Equal([first], LoopLog(harness, "ended"));
        Assert.Equal("running", harness.Runtime.ListChannels().Single().State);

        // The one loop left receives, and each message is answered once.
        await GoodChannel.SayAsync(harness, "alice", "c1", "hello after the reload");
        await Carapace.Testing.Poll.UntilAsync(async () => (await GoodChannel.SentAsync(harness)).Count > 0, TimeSpan.FromSeconds(10), "the reply");
        Assert.Single(await GoodChannel.SentAsync(harness));
        Assert.Equal(2, LoopLog(harness, "started").Count);
        Assert.Single(LoopLog(harness, "ended"));
    }

    [Fact]
    public async Task Reload_does_not_re_enable_a_disabled_plugin()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool", "hello"], new Dictionary<string, string?>
        {
            ["plugins:hello:enabled"] = "false",
        });
        Assert.True((await harness.Runtime.DisableAsync("good-tool")).Succeeded);

        var byOperator = await harness.Runtime.ReloadAsync("good-tool");
        var byConfig = await harness.Runtime.ReloadAsync("hello");

        Assert.Equal("plugin_disabled", byOperator.Code);
        Assert.Equal("plugin 'good-tool' is disabled (disabled by the operator); enable it instead (cara plugins enable good-tool)", byOperator.Message);
        Assert.Equal("plugin_disabled", byConfig.Code);
        Assert.Contains("plugins.hello.enabled: false", byConfig.Message, StringComparison.Ordinal);
        Assert.Equal("disabled", harness.Runtime.Get("good-tool")!.State);
        Assert.Equal("disabled", harness.Runtime.Get("hello")!.State);
        Assert.Empty(harness.Runtime.ListTools());
        Assert.True((await harness.Runtime.EnableAsync("good-tool")).Succeeded);
        Assert.True((await harness.Runtime.ReloadAsync("good-tool")).Succeeded);
    }

    [Fact]
    public async Task Watch_reloads_a_plugin_when_its_assembly_is_replaced()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("good-tool"), dir.Path);
        await using var harness = await RuntimeHarness.StartAsync([dir.Path], new Dictionary<string, string?> { ["plugins:watch"] = "true" },
            configure: o => o.WatchDebounce = TimeSpan.FromMilliseconds(100));
        var first = Instance(await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x"}""")));

        // How a deploy replaces a file: write the new copy elsewhere on the same file system, then
        // rename it over the old one. The rename is the only change the plugin folder sees.
        using var staging = new TempDirectory();
        var dll = dir.Combine("GoodToolPlugin.dll");
        File.Copy(dll, staging.Combine("GoodToolPlugin.dll"));
        File.Move(staging.Combine("GoodToolPlugin.dll"), dll, overwrite: true);

        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("good-tool")!.Generation == 2 && harness.Runtime.Get("good-tool")!.State == "active"),
            "the replaced assembly did not trigger a reload");
        Assert.NotEqual(first, Instance(await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x"}"""))));
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

    private static string Instance(ToolInvocationResult result) =>
        result.Output?.GetProperty("instance").GetString() ?? throw new InvalidOperationException($"{result.Code}: {result.Error}");

    /// <summary>Instance ids from the good-channel fixture's "loop started/ended" log lines, in order.</summary>
    private static List<string> LoopLog(RuntimeHarness harness, string what) =>
        harness.Logs.Lines.Select(l => LoopLine().Match(l)).Where(m => m.Success && m.Groups["what"].Value == what)
            .Select(m => m.Groups["instance"].Value).ToList();

    [GeneratedRegex(@"Plugin\.good-channel\..*: loop (?<what>started|ended) (?<instance>[0-9a-f]{32})$")]
    private static partial Regex LoopLine();
}
