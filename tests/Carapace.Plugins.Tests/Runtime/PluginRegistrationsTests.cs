using Carapace.Plugins.Channels;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Plugins.Tests.Runtime;

public sealed class PluginRegistrationsTests
{
    private static (PluginRegistrations Registrations, ToolRegistry Tools, ChannelRegistry Channels) Create()
    {
        var options = new PluginRuntimeOptions();
        var tools = new ToolRegistry(options, NullLogger<ToolRegistry>.Instance, new NullPluginLifecycleObserver());
        var channels = new ChannelRegistry(options, NullLogger<ChannelRegistry>.Instance);
        return (new PluginRegistrations(tools, channels), tools, channels);
    }

    private static PluginSlot Slot(string id) => new(id, "/plugins/" + id, PluginSource.Path);

    [Fact]
    public void A_claim_is_all_or_nothing()
    {
        var (registrations, tools, channels) = Create();
        var a = Slot("a");
        var b = Slot("b");
        Assert.Null(registrations.TryClaim(a, ["shared_tool"], ["chan-a"]));

        // b's tool is free but its channel is taken: nothing of b is registered.
        var conflict = registrations.TryClaim(b, ["b_tool"], ["chan-a"]);

        Assert.Equal("channel 'chan-a' is already provided by plugin 'a'", conflict);
        Assert.Null(tools.FindConflict(a, ["b_tool"]));
        Assert.Equal("tool 'shared_tool' is already provided by plugin 'a'", registrations.TryClaim(b, ["shared_tool"], []));
        Assert.Null(channels.FindConflict(a, ["chan-a"]));

        registrations.Release(a);
        Assert.Null(registrations.TryClaim(b, ["shared_tool"], ["chan-a"]));
    }

    [Fact]
    public async Task Concurrent_claims_of_one_name_have_exactly_one_winner_and_never_throw()
    {
        for (var round = 0; round < 200; round++)
        {
            var (registrations, _, _) = Create();
            var slots = Enumerable.Range(0, 4).Select(i => Slot($"p{i}")).ToList();
            using var start = new Barrier(slots.Count);

            var outcomes = await Task.WhenAll(slots.Select(slot => Task.Run(() =>
            {
                start.SignalAndWait();
                return registrations.TryClaim(slot, ["echo"], [slot.Id + "-chan"]);
            })));

            Assert.Single(outcomes, o => o is null);
            Assert.All(outcomes.Where(o => o is not null), o => Assert.Matches("^tool 'echo' is already provided by plugin 'p[0-3]'$", o));
        }
    }

    [Fact]
    public async Task Two_plugins_with_the_same_tool_enabled_at_once_leave_one_active_and_one_failed()
    {
        using var dir = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("hello"), dir.Combine("hello-2"));
        var yaml = dir.Combine("hello-2", "plugin.yaml");
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace("id: hello", "id: hello-2", StringComparison.Ordinal));
        await using var harness = await RuntimeHarness.StartAsync(["hello", dir.Combine("hello-2")], new Dictionary<string, string?>
        {
            ["plugins:hello:enabled"] = "false",
            ["plugins:hello-2:enabled"] = "false",
        });

        for (var round = 0; round < 10; round++)
        {
            var results = await Task.WhenAll(harness.Runtime.EnableAsync("hello"), harness.Runtime.EnableAsync("hello-2"));

            var winner = Assert.Single(results, r => r.Succeeded);
            var loser = Assert.Single(results, r => !r.Succeeded);
            Assert.Equal("plugin_failed", loser.Code);
            Assert.Equal($"tool 'hello' is already provided by plugin '{winner.Plugin!.Id}'", loser.Message);
            Assert.Equal("active", harness.Runtime.Get(winner.Plugin.Id)!.State);
            Assert.Equal("failed", harness.Runtime.Get(loser.Plugin!.Id)!.State);
            Assert.Equal(winner.Plugin.Id, Assert.Single(harness.Runtime.ListTools()).PluginId);

            Assert.True((await harness.Runtime.DisableAsync(winner.Plugin.Id)).Succeeded);
            Assert.True((await harness.Runtime.DisableAsync(loser.Plugin.Id)).Succeeded);
        }

        Assert.DoesNotContain(harness.Runtime.List(), p => p.State == "loading");
    }
}
