using Carapace.Abstractions.Tools;

namespace SharedCopyPlugin;

internal sealed class CopyTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("copy_tool", "Never loaded.", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken) => Task.FromResult(ToolResult.Text("copy"));
}
