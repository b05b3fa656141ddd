namespace Carapace.Abstractions.Tools;

/// <summary>An action a plugin offers. Discovered in the plugin assembly by the host.</summary>
public interface ITool
{
    ToolDefinition Definition { get; }

    /// <summary>
    /// Runs the tool. <paramref name="cancellationToken"/> fires on the per-call timeout, on caller
    /// cancellation and when the plugin is being unloaded; a tool must honour it promptly.
    /// </summary>
    Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken);
}
