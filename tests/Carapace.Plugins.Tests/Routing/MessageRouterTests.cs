using Carapace.Plugins.Routing;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;

namespace Carapace.Plugins.Tests.Routing;

public sealed class MessageRouterTests
{
    private static Dictionary<string, string?> Policy(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["channels:good-channel:allowFrom:0"] = "alice",
            ["channels:good-channel:tools:0"] = "echo",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task Slash_command_invokes_the_tool_and_replies_to_the_same_conversation()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool"], Policy());

        await GoodChannel.SayAsync(harness, "alice", "conv-42", "/echo text=\"hello world\" delayMs=1");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 1));
        var (conversation, text) = (await GoodChannel.SentAsync(harness)).Single();
        Assert.Equal("conv-42", conversation);
        Assert.StartsWith("{\"text\":\"echo: hello world\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_arguments_are_accepted_and_schema_errors_are_answered()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool"], Policy());

        await GoodChannel.SayAsync(harness, "alice", "c", """/echo {"text":"json"}""");
        await GoodChannel.SayAsync(harness, "alice", "c", "/echo delayMs=soon");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 2));
        var sent = await GoodChannel.SentAsync(harness);
        Assert.Contains("echo: json", sent[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("invalid_arguments:", sent[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_sender_is_refused_with_a_short_reply_and_logged()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool"], Policy());

        await GoodChannel.SayAsync(harness, "mallory", "c", "/echo text=x");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 1));
        Assert.Equal("Sorry, you are not allowed to use this channel.", (await GoodChannel.SentAsync(harness)).Single().Text);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("denied message from mallory", StringComparison.Ordinal));
        Assert.Contains(harness.Events.All, e => e.Kind == PluginLifecycleEventKind.PolicyDenied && e.Data["sender"] == "mallory");
    }

    [Fact]
    public async Task Non_local_channel_denies_everyone_by_default()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool"]);

        await GoodChannel.SayAsync(harness, "alice", "c", "/echo text=x");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 1));
        Assert.Equal("Sorry, you are not allowed to use this channel.", (await GoodChannel.SentAsync(harness)).Single().Text);
    }

    [Fact]
    public async Task Tools_not_listed_for_the_channel_are_refused()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool", "hello"], Policy());

        await GoodChannel.SayAsync(harness, "alice", "c", "/hello name=x");
        await GoodChannel.SayAsync(harness, "alice", "c", "what can you do?");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 2));
        var sent = await GoodChannel.SentAsync(harness);
        Assert.Equal("Tool 'hello' is not enabled for this channel.", sent[0].Text);
        Assert.Equal("Send /<tool> followed by a JSON object or key=value arguments. Tools: echo", sent[1].Text);
    }

    [Fact]
    public async Task Load_path_channel_claiming_to_be_local_is_not_trusted_and_denies_senders_without_allowFrom()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool"], new Dictionary<string, string?>
        {
            ["plugins:good-channel:claimLocal"] = "true",
            ["channels:good-channel:tools:0"] = "echo",
        });

        await GoodChannel.SayAsync(harness, "anyone", "c", "/echo text=x");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 1));
        Assert.Equal("Sorry, you are not allowed to use this channel.", (await GoodChannel.SentAsync(harness)).Single().Text);
        Assert.False(harness.Runtime.ListChannels().Single(c => c.Id == "good-channel").IsLocal);
    }

    [Fact]
    public async Task Non_bundled_plugin_cannot_claim_the_channel_id_of_a_disabled_bundled_channel()
    {
        using var bundled = new TempDirectory();
        TempDirectory.CopyDirectory(RuntimeHarness.PluginDirectory("console"), bundled.Combine("console"));

        // The bundled console is disabled by default; the impersonator names its channel "console" and claims local.
        await using var harness = await RuntimeHarness.StartAsync(["good-channel"], new Dictionary<string, string?>
        {
            ["plugins:good-channel:channelId"] = "console",
            ["plugins:good-channel:claimLocal"] = "true",
        }, bundledDirectory: bundled.Path);

        Assert.Equal("disabled", harness.Runtime.Get("console")!.State);
        var impostor = harness.Runtime.Get("good-channel")!;
        Assert.Equal("failed", impostor.State);
        Assert.Equal("channel 'console' belongs to the bundled plugin 'console'; plugin 'good-channel' (source: path) cannot provide it " +
                     "(the channel policy channels.console was written for the first-party channel)", impostor.Reason);
        Assert.Empty(harness.Runtime.ListChannels());
    }

    [Fact]
    public async Task Denials_are_reported_under_the_plugin_providing_the_channel_with_channel_and_tool_name()
    {
        await using var harness = await RuntimeHarness.StartAsync(["good-channel", "good-tool", "hello"], new Dictionary<string, string?>
        {
            ["plugins:good-channel:channelId"] = "support",
            ["channels:support:allowFrom:0"] = "alice",
            ["channels:support:tools:0"] = "echo",
        });

        await GoodChannel.SayAsync(harness, "alice", "c", "/hello name=x");
        await GoodChannel.SayAsync(harness, "mallory", "c", "/echo text=x");

        Assert.True(await Eventually.TrueAsync(() => GoodChannel.SentAsync(harness).Result.Count == 2));
        var tool = harness.Events.All.Single(e => e.Kind == PluginLifecycleEventKind.ToolDenied);
        Assert.Equal("good-channel", tool.PluginId);
        Assert.Equal(("support", "hello", "alice", "channels.support.tools"),
            (tool.Data["channel"], tool.Data["tool_name"], tool.Data["sender"], tool.Data["policy"]));
        var sender = harness.Events.All.Single(e => e.Kind == PluginLifecycleEventKind.PolicyDenied);
        Assert.Equal(("good-channel", "support", "mallory", "channels.support.allowFrom"),
            (sender.PluginId, sender.Data["channel"], sender.Data["sender"], sender.Data["policy"]));
        Assert.False(sender.Data.ContainsKey("tool_name"));
    }

    [Fact]
    public void Key_value_arguments_are_typed_by_the_schema()
    {
        var schema = JsonText.Parse("""{"type":"object","properties":{"n":{"type":"integer"},"flag":{"type":"boolean"},"s":{"type":"string"}}}""");

        var args = CommandArguments.Parse("n=42 flag=true s=42 other=\"a b\"", schema);

        Assert.Equal(42, args.GetProperty("n").GetInt32());
        Assert.True(args.GetProperty("flag").GetBoolean());
        Assert.Equal("42", args.GetProperty("s").GetString());
        Assert.Equal("a b", args.GetProperty("other").GetString());
        Assert.Throws<FormatException>(() => { _ = CommandArguments.Parse("novalue", schema); });
        Assert.Throws<FormatException>(() => { _ = CommandArguments.Parse("[1,2]", schema); });
    }
}
