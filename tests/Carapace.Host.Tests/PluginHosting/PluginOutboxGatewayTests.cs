using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Abstractions.Webhooks;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Plugins.Runtime;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>
/// A tool plugin (tests/Fixtures/NotifyToolPlugin, manifest <c>channels: [good-channel]</c>) sending through
/// <c>IChannelOutbox</c> in the real runtime behind the real gateway: only granted channels are reachable,
/// and every refusal is audited.
/// </summary>
public sealed class PluginOutboxGatewayTests
{
    private const string Token = "plugin-outbox-token";

    private static Task<GatewayFixture> StartAsync(string yaml) =>
        GatewayFixture.StartAsync(yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true);

    private static Task<HttpResponseMessage> NotifyAsync(HttpClient client, string channel) =>
        client.PostAsJsonAsync("/control/tools/notify/invoke", new { channel, conversation = "ops", text = "deploy finished" });

    private static async Task<IReadOnlyList<string>> SentAsync(GatewayFixture gateway)
    {
        var result = await gateway.Service<PluginRuntime>().DispatchWebhookAsync("good-channel",
            new WebhookRequest("GET", "/sent", string.Empty, new Dictionary<string, string>(), Array.Empty<byte>(), "127.0.0.1"));
        Assert.True(result.Succeeded, result.Error);
        using var doc = JsonDocument.Parse(result.Response!.Body);
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("text").GetString()!).ToList();
    }

    private static bool IsChannelDenial(JsonElement e, string channel) =>
        e.GetProperty("event").GetString() == "capability_denied"
        && e.GetProperty("data").GetProperty("plugin_id").GetString() == "notify-tool"
        && e.GetProperty("data").GetProperty("capability").GetString() == "channels"
        && e.GetProperty("data").GetProperty("channel").GetString() == channel;

    [Fact]
    public async Task Requested_channel_is_granted_and_the_message_is_delivered()
    {
        await using var gateway = await StartAsync("plugins: {}\n");
        using var client = gateway.Client(Token);

        var response = await NotifyAsync(client, "good-channel");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["deploy finished"], await SentAsync(gateway));
    }

    [Fact]
    public async Task Channel_the_manifest_does_not_request_is_denied_and_audited()
    {
        await using var gateway = await StartAsync("plugins: {}\n");
        using var client = gateway.Client(Token);

        // webhook is a real channel here (bundled), just not one this plugin asked for.
        Assert.Contains(gateway.Service<PluginRuntime>().ListChannels(), c => c.Id == "webhook");
        var problem = await ProblemAssert.IsProblemAsync(await NotifyAsync(client, "webhook"), HttpStatusCode.BadGateway, "tool_failed");

        Assert.Contains("CapabilityDeniedException", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Any(x => IsChannelDenial(x, "webhook")), "the audited channels denial");
    }

    [Fact]
    public async Task Operator_revocation_denies_a_requested_channel_and_nothing_is_sent()
    {
        await using var gateway = await StartAsync("plugins:\n  notify-tool:\n    grants:\n      channels: []\n");
        using var client = gateway.Client(Token);

        await ProblemAssert.IsProblemAsync(await NotifyAsync(client, "good-channel"), HttpStatusCode.BadGateway, "tool_failed");

        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Any(x => IsChannelDenial(x, "good-channel")), "the audited channels denial");
        Assert.Empty(await SentAsync(gateway));
    }

    [Fact]
    public async Task Grant_outside_the_manifest_request_fails_the_plugin_with_the_key_named()
    {
        await using var gateway = await StartAsync("plugins:\n  notify-tool:\n    grants:\n      channels: [webhook]\n");

        var info = gateway.Service<PluginRuntime>().Get("notify-tool")!;
        Assert.Equal("failed", info.State);
        Assert.Contains("plugins.notify-tool.grants.channels: 'webhook'", info.Reason, StringComparison.Ordinal);
    }
}
