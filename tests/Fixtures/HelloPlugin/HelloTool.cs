using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;

namespace HelloPlugin;

public sealed class HelloTool(IPluginContext context) : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "hello",
        "Greets someone by name.",
        """{"type":"object","properties":{"name":{"type":"string","minLength":1}},"required":["name"]}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var greeting = context.Configuration["greeting"] ?? "Hello";
        return Task.FromResult(ToolResult.Text($"{greeting}, {call.GetString("name")}!"));
    }
}
