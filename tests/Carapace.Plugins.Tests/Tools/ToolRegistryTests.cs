using System.Diagnostics;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Tests.Tools;

public sealed class ToolRegistryTests
{
    [Fact]
    public async Task Throwing_tool_returns_tool_failed_with_the_plugin_id()
    {
        await using var harness = await RuntimeHarness.StartAsync(["throwing-tool"]);

        var result = await harness.Runtime.InvokeToolAsync("explode", JsonText.Parse("{}"));

        Assert.Equal(ToolResultCodes.ToolFailed, result.Code);
        Assert.Equal("throwing-tool", result.PluginId);
        Assert.Equal("tool 'explode' of plugin 'throwing-tool' failed: threw ThrowingToolPlugin.FixtureExplosionException: kaboom", result.Error);
        Assert.DoesNotContain(" at ", result.Error, StringComparison.Ordinal);
        var info = harness.Runtime.Get("throwing-tool")!;
        Assert.Equal("active", info.State);
        Assert.Equal(1, info.ErrorCount);
        Assert.Equal(result.Error, info.LastError);
        Assert.Contains(harness.Events.All, e => e is { PluginId: "throwing-tool", Kind: PluginLifecycleEventKind.ToolFailed });
    }

    [Fact]
    public async Task Hanging_tool_is_cancelled_and_reported_as_tool_timeout()
    {
        await using var harness = await RuntimeHarness.StartAsync(["hanging-tool"], configure: o => o.ToolTimeout = TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();

        var result = await harness.Runtime.InvokeToolAsync("hang", JsonText.Parse("{}"));

        Assert.Equal(ToolResultCodes.ToolTimeout, result.Code);
        Assert.Equal("hanging-tool", result.PluginId);
        Assert.Equal("tool 'hang' of plugin 'hanging-tool' did not finish within 0.3 s and was cancelled", result.Error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("hanging-tool")!.InFlight == 0), "a cancelled call must release its lease");
    }

    [Fact]
    public async Task Tool_ignoring_cancellation_still_times_out_and_the_plugin_still_unloads()
    {
        await using var harness = await RuntimeHarness.StartAsync(["hanging-tool"], configure: o =>
        {
            o.ToolTimeout = TimeSpan.FromMilliseconds(200);
            o.DrainTimeout = TimeSpan.FromMilliseconds(200);
            o.StopTimeout = TimeSpan.FromMilliseconds(200);
        });

        var result = await harness.Runtime.InvokeToolAsync("hang_stubborn", JsonText.Parse("{}"));
        Assert.Equal(ToolResultCodes.ToolTimeout, result.Code);
        Assert.Equal(1, harness.Runtime.Get("hanging-tool")!.InFlight);

        var disable = await harness.Runtime.DisableAsync("hanging-tool");

        // Nothing holds the abandoned task, so the context is collected even though the call never ended.
        Assert.True(disable.Succeeded, disable.Message);
        Assert.Equal("disabled", harness.Runtime.Get("hanging-tool")!.State);
    }

    [Fact]
    public async Task Per_call_timeout_overrides_the_default()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool"]);

        var result = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x","delayMs":5000}"""), new ToolInvocationOptions("test", TimeSpan.FromMilliseconds(100)));

        Assert.Equal(ToolResultCodes.ToolTimeout, result.Code);
    }

    [Fact]
    public async Task Arguments_are_validated_against_the_schema_before_the_tool_runs()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool"]);

        var result = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"delayMs":"soon"}"""));

        Assert.Equal(ToolResultCodes.InvalidArguments, result.Code);
        Assert.Contains(result.ArgumentErrors, e => e.Path == "/delayMs" && e.Message.StartsWith("type", StringComparison.Ordinal));
        Assert.Contains(result.ArgumentErrors, e => e.Message.StartsWith("required", StringComparison.Ordinal));
        Assert.Equal(0, harness.Runtime.Get("good-tool")!.ErrorCount);
    }

    [Fact]
    public async Task Unknown_tool_and_tools_of_disabled_plugins_are_not_found()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool"]);

        Assert.Equal(ToolResultCodes.ToolNotFound, (await harness.Runtime.InvokeToolAsync("nope", JsonText.Parse("{}"))).Code);
        await harness.Runtime.DisableAsync("good-tool");
        var result = await harness.Runtime.InvokeToolAsync("echo", JsonText.Parse("""{"text":"x"}"""));
        Assert.Equal(ToolResultCodes.ToolNotFound, result.Code);
        Assert.Empty(harness.Runtime.ListTools());
    }

    [Fact]
    public async Task Tools_are_listed_with_their_schema_and_plugin()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-tool", "hello"]);

        var tools = harness.Runtime.ListTools();

        Assert.Equal(["echo", "hello"], tools.Select(t => t.Name));
        Assert.Equal("hello", tools[1].PluginId);
        Assert.Equal("object", tools[1].InputSchema.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Repeated_failures_fault_the_plugin_when_configured()
    {
        await using var harness = await RuntimeHarness.StartAsync(["throwing-tool"], configure: o => o.FaultAfter = 3);

        for (var i = 0; i < 3; i++)
        {
            await harness.Runtime.InvokeToolAsync("explode", JsonText.Parse("{}"));
        }

        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("throwing-tool")!.State == "faulted"));
        Assert.StartsWith("deactivated after 3 consecutive tool failures", harness.Runtime.Get("throwing-tool")!.Reason, StringComparison.Ordinal);
        Assert.Equal(ToolResultCodes.ToolNotFound, (await harness.Runtime.InvokeToolAsync("explode", JsonText.Parse("{}"))).Code);
        Assert.True((await harness.Runtime.EnableAsync("throwing-tool")).Succeeded);
    }
}
