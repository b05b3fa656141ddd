using System.Text.Json.Nodes;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;

namespace SecretsToolPlugin;

/// <summary>
/// Sets, gets and deletes one of the plugin's own secrets. Host errors (a revoked grant, a quota) are not
/// caught: they must reach the caller as the runtime reports them.
/// </summary>
internal sealed class SecretTool(IPluginContext context) : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "secret_store",
        "Set, get or delete a secret of this plugin.",
        """{"type":"object","properties":{"op":{"enum":["set","get","delete"]},"name":{"type":"string"},"value":{"type":"string"}},"required":["op","name"]}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var name = call.GetString("name")!;
        var credentials = context.Credentials;
        switch (call.GetString("op"))
        {
            case "set":
                await credentials.SetAsync(name, call.GetString("value") ?? "", cancellationToken);
                return ToolResult.Json(new JsonObject { ["stored"] = true });
            case "get":
                return ToolResult.Json(new JsonObject { ["value"] = await credentials.GetAsync(name, cancellationToken) });
            default:
                return ToolResult.Json(new JsonObject { ["deleted"] = await credentials.DeleteAsync(name, cancellationToken) });
        }
    }
}
