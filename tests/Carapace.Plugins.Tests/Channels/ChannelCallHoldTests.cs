using Carapace.Abstractions.Channels;
using Carapace.Plugins.Channels;
using Carapace.Testing.PluginHarness;

namespace Carapace.Plugins.Tests.Channels;

/// <summary>A send or webhook call that times out keeps its hold on the plugin while the plugin's code still runs.</summary>
public sealed class ChannelCallHoldTests
{
    [Fact]
    public async Task Timed_out_send_and_webhook_call_hold_the_plugin_until_its_code_returns()
    {
        await using var harness = await RuntimeHarness.StartAsync(["stubborn-channel"], configure: o => o.ToolTimeout = TimeSpan.FromMilliseconds(200));

        var send = await harness.Runtime.SendAsync("stubborn-channel", new OutboundMessage("c1", "never acknowledged"));
        Assert.Equal(ChannelResultCodes.ChannelTimeout, send.Code);
        Assert.Equal(1, harness.Runtime.Get("stubborn-channel")!.InFlight);

        var hang = await harness.Runtime.DispatchWebhookAsync("stubborn-channel", GoodChannel.Request("POST", "/hang", []));
        Assert.Equal(ChannelResultCodes.WebhookTimeout, hang.Code);
        Assert.Equal(2, harness.Runtime.Get("stubborn-channel")!.InFlight);

        // The plugin's code returns only now; then, and not before, the holds are released.
        var release = await harness.Runtime.DispatchWebhookAsync("stubborn-channel", GoodChannel.Request("POST", "/release", []));
        Assert.True(release.Succeeded, release.Error);
        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.Get("stubborn-channel")!.InFlight == 0), "the holds were not released");

        var disable = await harness.Runtime.DisableAsync("stubborn-channel");
        Assert.True(disable.Succeeded, disable.Message);
        Assert.True(harness.Runtime.Get("stubborn-channel")!.Unload!.Collected);
    }
}
