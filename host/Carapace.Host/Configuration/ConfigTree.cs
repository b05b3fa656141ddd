using System.Globalization;
using System.Text.Json.Nodes;
using Carapace.Host.Secrets;

namespace Carapace.Host.Configuration;

/// <summary>
/// Rebuilds a nested JSON view of the flat configuration (numeric segments become arrays), with
/// secrets redacted. This is what operators see; it is never parsed back.
/// </summary>
internal static class ConfigTree
{
    public static JsonObject Build(LoadedConfiguration config) => Build(config.Values, config.SecretKeys);

    public static JsonObject Build(IReadOnlyDictionary<string, ConfigValue> values, ISet<string>? secretKeys = null)
    {
        var root = new JsonObject();
        foreach (var (key, value) in values.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
        {
            var shown = value.Value is not null && ConfigSecretRedaction.IsSecret(key, value.Value, secretKeys)
                ? ConfigSecretRedaction.Placeholder
                : value.Value;
            Insert(root, key.Split(':'), shown);
        }

        return (JsonObject)Arrayify(root)!;
    }

    private static void Insert(JsonObject node, string[] path, string? leaf)
    {
        var current = node;
        for (var i = 0; i < path.Length - 1; i++)
        {
            if (current[path[i]] is not JsonObject child)
            {
                child = new JsonObject();
                current[path[i]] = child;
            }

            current = child;
        }

        current[path[^1]] = leaf is null ? null : JsonValue.Create(leaf);
    }

    // Objects whose keys are exactly 0..n-1 came from YAML sequences.
    private static JsonNode? Arrayify(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return node?.DeepClone();
        }

        var keys = obj.Select(kv => kv.Key).ToList();
        var isArray = keys.Count > 0 && keys.All(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            && keys.Select(k => int.Parse(k, CultureInfo.InvariantCulture)).Order().SequenceEqual(Enumerable.Range(0, keys.Count));
        if (isArray)
        {
            var array = new JsonArray();
            foreach (var (_, child) in obj.OrderBy(kv => int.Parse(kv.Key, CultureInfo.InvariantCulture)))
            {
                array.Add(Arrayify(child));
            }

            return array;
        }

        var copy = new JsonObject();
        foreach (var (key, child) in obj)
        {
            copy[key] = Arrayify(child);
        }

        return copy;
    }
}
