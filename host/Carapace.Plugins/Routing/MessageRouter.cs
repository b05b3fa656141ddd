using System.Text.Json;
using Carapace.Abstractions.Channels;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Services;
using Carapace.Plugins.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Routing;

/// <summary>What the router did with a message.</summary>
internal enum RouteKind
{
    Invoked,
    SenderDenied,
    ToolDenied,
    BadArguments,
    Help,
}

/// <summary>Outcome of routing one inbound message (the reply has been sent, or its send failed).</summary>
internal sealed record RouteOutcome(RouteKind Kind, string Reply, ToolInvocationResult? Tool, ChannelSendResult? Send);

/// <summary>
/// <c>channel → router → tool → same channel</c>. Applies the channel's policy, runs
/// <c>/&lt;tool&gt; &lt;json-or-key=value args&gt;</c> and answers in the same conversation. Refusals
/// are logged, reported to the observer and answered with a short message, never silence.
/// </summary>
internal sealed class MessageRouter(
    ToolRegistry tools,
    ChannelRegistry channels,
    IConfiguration configuration,
    ILogger<MessageRouter> logger,
    IPluginLifecycleObserver observer)
{
    private const int MaxReplyLength = 4000;

    /// <summary>The sink a channel's loop receives; it pins the channel id.</summary>
    public IChannelInbound CreateSink(string channelId) => new Sink(this, channelId);

    public async Task<RouteOutcome> RouteAsync(string channelId, InboundMessage message, CancellationToken cancellationToken)
    {
        message = message with { ChannelId = channelId };
        var isLocal = channels.IsTrustedLocal(channelId);
        var policy = ChannelPolicy.From(configuration, channelId, isLocal);

        if (!policy.AllowsSender(message.SenderId))
        {
            Deny(channelId, message, PluginLifecycleEventKind.PolicyDenied, $"sender not in channels.{channelId}.allowFrom", toolName: null);
            return await Reply(RouteKind.SenderDenied, "Sorry, you are not allowed to use this channel.", message, null, cancellationToken);
        }

        var text = message.Text.Trim();
        if (!text.StartsWith('/') || text.Length == 1)
        {
            return await Reply(RouteKind.Help, Help(policy), message, null, cancellationToken);
        }

        var split = text.IndexOfAny([' ', '\t', '\n']);
        var toolName = split < 0 ? text[1..] : text[1..split];
        var argsText = split < 0 ? string.Empty : text[(split + 1)..];
        if (toolName == "help")
        {
            return await Reply(RouteKind.Help, Help(policy), message, null, cancellationToken);
        }

        if (!policy.AllowsTool(toolName))
        {
            Deny(channelId, message, PluginLifecycleEventKind.ToolDenied, $"tool '{toolName}' not in channels.{channelId}.tools", toolName);
            return await Reply(RouteKind.ToolDenied, $"Tool '{toolName}' is not enabled for this channel.", message, null, cancellationToken);
        }

        JsonElement args;
        try
        {
            args = CommandArguments.Parse(argsText, tools.Get(toolName)?.InputSchema);
        }
        catch (FormatException ex)
        {
            return await Reply(RouteKind.BadArguments, $"Could not read the arguments: {ex.Message}", message, null, cancellationToken);
        }

        var result = await tools.InvokeAsync(toolName, args, new ToolInvocationOptions($"channel:{channelId}"), cancellationToken);
        return await Reply(RouteKind.Invoked, Format(result), message, result, cancellationToken);
    }

    private async Task<RouteOutcome> Reply(RouteKind kind, string text, InboundMessage to, ToolInvocationResult? result, CancellationToken cancellationToken)
    {
        if (text.Length > MaxReplyLength)
        {
            text = string.Concat(text.AsSpan(0, MaxReplyLength), "…");
        }

        var send = await channels.SendAsync(to.ChannelId, new OutboundMessage(to.ConversationId, text), cancellationToken);
        if (!send.Succeeded)
        {
            logger.LogWarning("reply to {ChannelId}/{ConversationId} failed: {Error}", to.ChannelId, to.ConversationId, send.Error);
        }

        return new RouteOutcome(kind, text, result, send);
    }

    /// <summary>
    /// Logs and reports a refusal under the plugin that provides the channel (a channel id need not be
    /// its plugin's id), with the channel, the sender, the policy key and, for a tool, its name.
    /// </summary>
    private void Deny(string channelId, InboundMessage message, PluginLifecycleEventKind kind, string reason, string? toolName)
    {
        logger.LogWarning("channel {ChannelId}: denied message from {SenderId}: {Reason}", channelId, message.SenderId, reason);
        var data = new Dictionary<string, string>
        {
            ["channel"] = channelId,
            ["sender"] = message.SenderId,
            ["policy"] = toolName is null ? $"channels.{channelId}.allowFrom" : $"channels.{channelId}.tools",
        };
        if (toolName is not null)
        {
            data["tool_name"] = toolName;
        }

        observer.OnEvent(new PluginLifecycleEvent(channels.OwnerOf(channelId) ?? channelId, kind, reason) { Data = data });
    }

    private string Help(ChannelPolicy policy)
    {
        var allowed = tools.List().Select(t => t.Name).Where(policy.AllowsTool).ToList();
        return allowed.Count == 0
            ? "No tools are enabled for this channel."
            : $"Send /<tool> followed by a JSON object or key=value arguments. Tools: {string.Join(", ", allowed)}";
    }

    private static string Format(ToolInvocationResult result)
    {
        if (!result.Succeeded)
        {
            var details = result.ArgumentErrors.Count > 0
                ? " (" + string.Join("; ", result.ArgumentErrors.Take(3).Select(e => $"{e.Path}: {e.Message}")) + ")"
                : string.Empty;
            return $"{result.Code}: {result.Error}{details}";
        }

        if (result.Output is { ValueKind: JsonValueKind.Object } output
            && output.EnumerateObject().Count() == 1
            && output.TryGetProperty("text", out var text)
            && text.ValueKind == JsonValueKind.String)
        {
            return text.GetString()!;
        }

        return result.Output?.GetRawText() ?? "ok";
    }

    /// <summary>
    /// Routing runs on a fresh execution context (rule 9): the channel's own AsyncLocal values (and its
    /// contextual-reflection context) must not flow into the tool call, the reply, or anything the
    /// host creates meanwhile.
    /// </summary>
    private sealed class Sink(MessageRouter router, string channelId) : IChannelInbound
    {
        public async ValueTask DeliverAsync(InboundMessage message, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(message);
            Task<RouteOutcome> routed;
            using (ExecutionContext.SuppressFlow())
            {
                routed = Task.Run(() => router.RouteAsync(channelId, message, cancellationToken), CancellationToken.None);
            }

            await routed;
        }
    }
}
