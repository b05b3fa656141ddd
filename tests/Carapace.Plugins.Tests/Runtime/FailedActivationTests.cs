using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;

namespace Carapace.Plugins.Tests.Runtime;

/// <summary>A failed activation is unloaded and verified like a disable (rule 10).</summary>
public sealed class FailedActivationTests
{
    [Fact]
    public async Task Plugin_that_hooks_a_process_event_then_fails_is_reported_leaked_and_not_retried_in_place()
    {
        await using var harness = await RuntimeHarness.StartAsync(["failing-leaky", "hello"], configure: o => o.UnloadGcIterations = 4);

        var info = harness.Runtime.Get("failing-leaky")!;
        Assert.Equal("leaked", info.State);
        Assert.StartsWith("FailingLeakyStartup.ConfigureServices threw System.InvalidOperationException: configuration step 2 failed", info.Reason, StringComparison.Ordinal);
        Assert.Contains("still alive after 4 full GCs", info.Reason, StringComparison.Ordinal);
        Assert.False(info.Unload!.Collected);
        Assert.Contains(harness.Events.All, e => e is { PluginId: "failing-leaky", Kind: PluginLifecycleEventKind.Leaked });

        var enable = await harness.Runtime.EnableAsync("failing-leaky");
        Assert.Equal("plugin_leaked", enable.Code);
        Assert.Contains("restart the host", enable.Message, StringComparison.Ordinal);
        Assert.Equal("plugin_leaked", (await harness.Runtime.ReloadAsync("failing-leaky")).Code);
        // Refused, not attempted: no second load context, no second failure.
        Assert.Equal(1, harness.Runtime.Get("failing-leaky")!.ErrorCount);
        Assert.Single(harness.Events.All, e => e is { PluginId: "failing-leaky", Kind: PluginLifecycleEventKind.Leaked });
        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
    }

    [Fact]
    public async Task Failed_activation_disposes_async_only_services_and_verifies_the_unload()
    {
        await using var harness = await RuntimeHarness.StartAsync(["async-dispose"]);

        var info = harness.Runtime.Get("async-dispose")!;
        Assert.Equal("failed", info.State);
        Assert.Equal("creating the plugin's tools failed: System.InvalidOperationException: the remote refused the handshake", info.Reason);
        Assert.True(info.Unload!.Collected, "the failed activation's load context must be collected");
        Assert.Contains(harness.Logs.Lines, l => l.Contains("Plugin.async-dispose.", StringComparison.Ordinal) && l.EndsWith("connection disposed asynchronously", StringComparison.Ordinal));

        // Nothing leaked, so an enable may try again (and fails the same way, cleanly).
        var retry = await harness.Runtime.EnableAsync("async-dispose");
        Assert.Equal("plugin_failed", retry.Code);
        Assert.Equal(info.Reason, retry.Message);
        Assert.Equal("failed", harness.Runtime.Get("async-dispose")!.State);
        Assert.Equal(2, harness.Runtime.Get("async-dispose")!.ErrorCount);
        Assert.DoesNotContain(harness.Events.All, e => e.Kind == PluginLifecycleEventKind.Leaked);
    }
}
