using System.Text.Json;

namespace Carapace.Protocol.Tools;

/// <summary>A tool as <c>GET /control/tools</c> lists it.</summary>
public sealed record ToolSummary(string Name, string Description, JsonElement InputSchema, string PluginId);

/// <summary><c>GET /control/tools</c>.</summary>
public sealed record ToolsResponse(IReadOnlyList<ToolSummary> Tools);

/// <summary>A successful <c>POST /control/tools/{name}/invoke</c> (failures are problem+json).</summary>
public sealed record ToolInvokeResponse(bool Ok, string Tool, string? PluginId, JsonElement? Output, double Milliseconds, string CallId);
