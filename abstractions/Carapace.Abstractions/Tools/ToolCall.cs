using System.Text.Json;

namespace Carapace.Abstractions.Tools;

/// <summary>One invocation of a tool. Arguments were validated against the tool's schema.</summary>
/// <param name="ToolName">The tool being invoked.</param>
/// <param name="Arguments">A JSON object with the arguments.</param>
/// <param name="CallId">A host-assigned id, for logs and correlation.</param>
/// <param name="Origin">Who asked: <c>control</c> for the control API, or <c>channel:&lt;id&gt;</c>.</param>
public sealed record ToolCall(string ToolName, JsonElement Arguments, string CallId, string Origin)
{
    /// <summary>Reads a string argument, or null when absent or not a string.</summary>
    public string? GetString(string name) =>
        Arguments.ValueKind == JsonValueKind.Object
        && Arguments.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>Reads an integer argument, or null when absent or not an integer.</summary>
    public long? GetInt64(string name) =>
        Arguments.ValueKind == JsonValueKind.Object
        && Arguments.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt64(out var number)
            ? number
            : null;

    /// <summary>Reads a boolean argument, or null when absent or not a boolean.</summary>
    public bool? GetBoolean(string name) =>
        Arguments.ValueKind == JsonValueKind.Object
        && Arguments.TryGetProperty(name, out var value)
        && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;
}
