using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;

namespace Carapace.Plugins.Tests.Channels;

public sealed class ChannelSupervisionTests
{
    [Fact]
    public async Task Crashing_channel_is_restarted_with_backoff_then_marked_error()
    {
        await using var harness = await RuntimeHarness.StartAsync(["crashing-channel", "hello"], configure: o => o.ChannelMaxRestarts = 3);

        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.ListChannels().Single().State == "error"));

        var channel = harness.Runtime.ListChannels().Single();
        Assert.Equal("crashing-channel", channel.PluginId);
        Assert.Equal(4, channel.Restarts);
        Assert.Equal("CrashingChannelPlugin.CrashingChannelException: the transport went away", channel.LastError);
        Assert.Equal(3, harness.Events.All.Count(e => e.Kind == PluginLifecycleEventKind.ChannelRestarted));
        Assert.Single(harness.Events.All, e => e.Kind == PluginLifecycleEventKind.ChannelError);
        // The plugin and every other plugin stay up.
        Assert.Equal("active", harness.Runtime.Get("crashing-channel")!.State);
        Assert.Equal("active", harness.Runtime.Get("hello")!.State);
    }

    [Fact]
    public async Task Channels_are_listed_and_a_send_reaches_the_channel()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel"]);
        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.ListChannels().Single().State == "running"));

        var send = await harness.Runtime.SendAsync("good-channel", new Carapace.Abstractions.Channels.OutboundMessage("c1", "hello there"));

        Assert.True(send.Succeeded, send.Error);
        var sent = await GoodChannel.SentAsync(harness);
        Assert.Equal("hello there", sent.Single().Text);
        var info = harness.Runtime.ListChannels().Single();
        Assert.True(info.AcceptsWebhooks);
        Assert.False(info.IsLocal);
        Assert.Equal("channel_not_found", (await harness.Runtime.SendAsync("nope", new("c", "t"))).Code);
    }
}
