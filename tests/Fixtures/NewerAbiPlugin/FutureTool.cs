using Carapace.Abstractions.Tools;

namespace NewerAbiPlugin;

internal sealed class FutureTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("future", "Never loaded.", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken) => Task.FromResult(ToolResult.Text("from the future"));
}
