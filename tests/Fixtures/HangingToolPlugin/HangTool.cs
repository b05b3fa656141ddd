using Carapace.Abstractions.Tools;

namespace HangingToolPlugin;

/// <summary>Waits until cancelled.</summary>
internal sealed class HangTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("hang", "Never returns by itself.", """{"type":"object"}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return ToolResult.Text("unreachable");
    }
}

/// <summary>Ignores cancellation entirely: the host must still answer on time and unload afterwards.</summary>
internal sealed class StubbornTool : ITool
{
    private readonly TaskCompletionSource<ToolResult> _never = new();

    public ToolDefinition Definition { get; } = ToolDefinition.Create("hang_stubborn", "Ignores cancellation.", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken) => _never.Task;
}
