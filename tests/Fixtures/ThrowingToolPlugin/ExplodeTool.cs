using Carapace.Abstractions.Tools;

namespace ThrowingToolPlugin;

internal sealed class ExplodeTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("explode", "Always throws.", """{"type":"object"}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        await Task.Yield();
        throw new FixtureExplosionException("kaboom");
    }
}

/// <summary>A plugin-defined exception type: it must never reach a host structure.</summary>
public sealed class FixtureExplosionException(string message) : Exception(message);
