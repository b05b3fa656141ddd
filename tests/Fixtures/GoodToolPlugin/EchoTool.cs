using System.Text.Json.Nodes;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace GoodToolPlugin;

/// <summary>Echoes text back, after an optional delay. <c>instance</c> is unique per load, so a test can tell generations apart.</summary>
internal sealed class EchoTool(IPluginContext context, ILogger<EchoTool> logger) : ITool
{
    // A static field lives in this load context: a new load gets a new value.
    private static readonly string Instance = Guid.NewGuid().ToString("n");

    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "echo",
        "Echo the text back.",
        """{"type":"object","properties":{"text":{"type":"string"},"delayMs":{"type":"integer","minimum":0,"maximum":10000}},"required":["text"]}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var delay = call.GetInt64("delayMs") ?? 0;
        if (delay > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(delay), context.TimeProvider, cancellationToken);
        }

        var greeting = context.Configuration["greeting"] ?? "echo";
        logger.LogDebug("echo call {CallId} from {Origin}", call.CallId, call.Origin);
        // Every configuration key the plugin can see, so tests can check what reaches it.
        var keys = new JsonArray(context.Configuration.AsEnumerable().Select(kv => (JsonNode)JsonValue.Create(kv.Key)).ToArray());
        return ToolResult.Json(new JsonObject
        {
            ["text"] = $"{greeting}: {call.GetString("text")}",
            ["instance"] = Instance,
            ["configKeys"] = keys,
        });
    }
}
