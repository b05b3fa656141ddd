using Carapace.Abstractions.Tools;
using Json.Schema;

namespace Carapace.Plugins.Tools;

/// <summary>A tool instance of one plugin generation, with its host-owned description and compiled schema.</summary>
internal sealed class ToolEntry(ITool tool, ToolInfo info, JsonSchema schema)
{
    public ITool Tool { get; } = tool;
    public ToolInfo Info { get; } = info;
    public JsonSchema Schema { get; } = schema;
}
