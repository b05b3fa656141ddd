using System.Text.Json;
using System.Text.RegularExpressions;

namespace Carapace.Abstractions.Tools;

/// <summary>
/// Describes a tool. <see cref="InputSchema"/> is a JSON Schema (draft 2020-12) that the host
/// validates every call's arguments against before the tool sees them.
/// </summary>
public sealed partial record ToolDefinition
{
    public ToolDefinition(string name, string description, JsonElement inputSchema)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"tool name '{name}' must match ^[a-z0-9_]{{1,64}}$", nameof(name));
        }

        Name = name;
        Description = description ?? string.Empty;
        InputSchema = inputSchema.Clone();
    }

    public string Name { get; }
    public string Description { get; }
    public JsonElement InputSchema { get; }

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Parses a schema from JSON text; convenient for plugins that keep schemas as literals.</summary>
    public static ToolDefinition Create(string name, string description, string inputSchemaJson)
    {
        using var doc = JsonDocument.Parse(inputSchemaJson);
        return new ToolDefinition(name, description, doc.RootElement);
    }

    [GeneratedRegex(@"^[a-z0-9_]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
