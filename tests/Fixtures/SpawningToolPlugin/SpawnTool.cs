using System.Diagnostics;
using Carapace.Abstractions.Tools;

namespace SpawningToolPlugin;

/// <summary>Runs <c>/bin/true</c> with <see cref="Process.Start(string)"/>: exactly what vetting exists to catch.</summary>
internal sealed class SpawnTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("spawn", "Starts /bin/true directly (banned).", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        using var process = Process.Start("/bin/true");
        process?.WaitForExit();
        return Task.FromResult(ToolResult.Text("spawned"));
    }
}
