using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Activation;

/// <summary>
/// Plugin configuration: a private copy of <c>plugins:&lt;id&gt;</c>, and its JSON form for the
/// manifest's <c>configSchema</c>.
/// </summary>
internal static class PluginConfiguration
{
    /// <summary>
    /// Keys under <c>plugins:&lt;id&gt;</c> that belong to the host, not to the plugin: the enable
    /// switch and the operator's grants. They are neither validated against the plugin's
    /// <c>configSchema</c> (a schema with <c>additionalProperties: false</c> would refuse them) nor
    /// shown to the plugin.
    /// </summary>
    public static IReadOnlyList<string> HostOnlyKeys { get; } = ["enabled", "grants"];

    /// <summary>
    /// Copies the plugin's section, minus <see cref="HostOnlyKeys"/>, into a configuration root the
    /// plugin owns. Handing out the host's live section would let a plugin hang reload-token callbacks
    /// on the host's configuration root (rule 5); config changes reach a plugin through a reload instead.
    /// </summary>
    public static IConfigurationRoot Snapshot(IConfiguration hostConfiguration, string pluginId)
    {
        var section = hostConfiguration.GetSection($"plugins:{pluginId}");
        var values = section.AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null && kv.Key.Length > 0 && !IsHostOnly(kv.Key))
            .ToList();
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static bool IsHostOnly(string relativeKey)
    {
        var separator = relativeKey.IndexOf(ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
        var top = separator < 0 ? relativeKey : relativeKey[..separator];
        // Configuration keys are case-insensitive.
        return HostOnlyKeys.Contains(top, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Turns configuration (where every leaf is a string) into JSON, using the schema's <c>type</c>
    /// to decide what a leaf means ("8080" is a number only where the schema asks for one).
    /// Only <c>properties</c>, <c>additionalProperties</c> and <c>items</c> are followed, not <c>$ref</c>.
    /// </summary>
    public static JsonNode ToJson(IConfiguration configuration, JsonElement schema) =>
        Convert(configuration.GetChildren().ToList(), null, schema) ?? new JsonObject();

    private static JsonNode? Convert(List<IConfigurationSection> children, string? value, JsonElement? schema)
    {
        var types = Types(schema);
        if (children.Count == 0)
        {
            return Leaf(value, types);
        }

        var isArray = types.Contains("array")
            || (!types.Contains("object") && children.Select((c, i) => c.Key == i.ToString(CultureInfo.InvariantCulture)).All(x => x));
        if (isArray)
        {
            var items = schema is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("items", out var it) ? it : (JsonElement?)null;
            var ordered = children.OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue);
            return new JsonArray(ordered.Select(c => Convert(c.GetChildren().ToList(), c.Value, items)).ToArray());
        }

        var obj = new JsonObject();
        foreach (var child in children)
        {
            obj[child.Key] = Convert(child.GetChildren().ToList(), child.Value, PropertySchema(schema, child.Key));
        }

        return obj;
    }

    private static JsonElement? PropertySchema(JsonElement? schema, string name)
    {
        if (schema is not { ValueKind: JsonValueKind.Object } s)
        {
            return null;
        }

        if (s.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object && props.TryGetProperty(name, out var p))
        {
            return p;
        }

        return s.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.Object ? additional : null;
    }

    private static HashSet<string> Types(JsonElement? schema)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (schema is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                set.Add(type.GetString()!);
            }
            else if (type.ValueKind == JsonValueKind.Array)
            {
                foreach (var t in type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String))
                {
                    set.Add(t.GetString()!);
                }
            }
        }

        return set;
    }

    private static JsonNode? Leaf(string? value, HashSet<string> types)
    {
        if (value is null)
        {
            return types.Contains("object") ? new JsonObject() : types.Contains("array") ? new JsonArray() : null;
        }

        if (types.Contains("integer") && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (types.Contains("number") && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        if (types.Contains("boolean") && bool.TryParse(value, out var b))
        {
            return JsonValue.Create(b);
        }

        if (value.Length == 0)
        {
            if (types.Contains("array"))
            {
                return new JsonArray();
            }

            if (types.Contains("object"))
            {
                return new JsonObject();
            }

            if (types.Contains("null"))
            {
                return null;
            }
        }

        return JsonValue.Create(value);
    }
}
