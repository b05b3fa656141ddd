using Carapace.Abstractions.Tools;

namespace BadManifestPlugin;

internal sealed class NeverTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("never", "Never loaded.", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken) => Task.FromResult(ToolResult.Text("never"));
}
