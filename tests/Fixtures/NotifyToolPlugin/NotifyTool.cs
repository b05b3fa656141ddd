using System.Text.Json.Nodes;
using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;

namespace NotifyToolPlugin;

/// <summary>
/// Sends a message through any channel it is told to. Host refusals are not caught: a missing grant
/// must reach the caller as the runtime reports it.
/// </summary>
internal sealed class NotifyTool(IPluginContext context) : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "notify",
        "Send a message through a channel.",
        """{"type":"object","properties":{"channel":{"type":"string"},"conversation":{"type":"string"},"text":{"type":"string"}},"required":["channel","conversation","text"]}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var channel = call.GetString("channel")!;
        await context.Outbox.SendAsync(channel, new OutboundMessage(call.GetString("conversation")!, call.GetString("text")!), cancellationToken);
        return ToolResult.Json(new JsonObject { ["sent"] = channel });
    }
}
