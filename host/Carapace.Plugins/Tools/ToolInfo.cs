using System.Text.Json;

namespace Carapace.Plugins.Tools;

/// <summary>A registered tool, as the control API lists it. Host-owned copy: no plugin object.</summary>
internal sealed record ToolInfo(string Name, string Description, JsonElement InputSchema, string PluginId);
