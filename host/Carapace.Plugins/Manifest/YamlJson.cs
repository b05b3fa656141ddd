using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Carapace.Plugins.Manifest;

/// <summary>
/// Converts a YAML node to JSON so an embedded <c>configSchema</c> can be handed to JsonSchema.Net.
/// Plain scalars get YAML 1.2 core-schema typing (true/false, null, numbers); quoted scalars stay strings.
/// Recursive, so it refuses to go deeper than <see cref="MaxDepth"/> itself rather than trusting every
/// caller to have parsed with <see cref="Carapace.Storage.Yaml.GuardedYamlParser"/>; System.Text.Json
/// would refuse deeper documents anyway.
/// </summary>
internal static class YamlJson
{
    public const int MaxDepth = Carapace.Storage.Yaml.GuardedYamlParser.DefaultMaxDepth;

    public static JsonNode? ToJson(YamlNode node) => ToJson(node, 0);

    private static JsonNode? ToJson(YamlNode node, int depth)
    {
        if (depth >= MaxDepth)
        {
            throw new ManifestException($"nesting deeper than {MaxDepth} levels at {Where(node)}");
        }

        return node switch
        {
            YamlMappingNode map => ToObject(map, depth),
            YamlSequenceNode seq => new JsonArray(seq.Children.Select(child => ToJson(child, depth + 1)).ToArray()),
            YamlScalarNode scalar => ToScalar(scalar),
            _ => throw new ManifestException($"unsupported YAML node at {Where(node)}"),
        };
    }

    public static string Where(YamlNode node) => $"line {node.Start.Line}, column {node.Start.Column}";

    private static JsonObject ToObject(YamlMappingNode map, int depth)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                throw new ManifestException($"mapping keys must be strings ({Where(key)})");
            }

            obj[name] = ToJson(value, depth + 1);
        }

        return obj;
    }

    private static JsonNode? ToScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(text);
    }
}
