using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Carapace.Plugins.Routing;

/// <summary>
/// Parses the argument part of <c>/tool ...</c>: either a JSON object, or <c>key=value</c> pairs
/// separated by spaces (values may be "double quoted"). A value is typed by the tool's schema
/// (<c>count=3</c> is a number only if <c>count</c> is declared as one); without a schema it is a string.
/// </summary>
internal static class CommandArguments
{
    public static JsonElement Parse(string text, JsonElement? schema)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return JsonDocument.Parse("{}").RootElement.Clone();
        }

        if (text[0] == '{')
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                return doc.RootElement.ValueKind == JsonValueKind.Object
                    ? doc.RootElement.Clone()
                    : throw new FormatException("arguments must be a JSON object");
            }
            catch (JsonException ex)
            {
                throw new FormatException($"invalid JSON: {ex.Message}", ex);
            }
        }

        var obj = new JsonObject();
        foreach (var token in Tokenize(text))
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"expected key=value, got '{token}'");
            }

            var key = token[..eq];
            obj[key] = Typed(token[(eq + 1)..], PropertyTypes(schema, key));
        }

        using var result = JsonDocument.Parse(obj.ToJsonString());
        return result.RootElement.Clone();
    }

    private static IEnumerable<string> Tokenize(string text)
    {
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && quoted && i + 1 < text.Length)
            {
                current.Append(text[++i]);
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (quoted)
        {
            throw new FormatException("unterminated quote");
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    private static HashSet<string> PropertyTypes(JsonElement? schema, string key)
    {
        var types = new HashSet<string>(StringComparer.Ordinal);
        if (schema is { ValueKind: JsonValueKind.Object } s
            && s.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
            && props.TryGetProperty(key, out var prop) && prop.ValueKind == JsonValueKind.Object
            && prop.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                types.Add(type.GetString()!);
            }
            else if (type.ValueKind == JsonValueKind.Array)
            {
                types.UnionWith(type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!));
            }
        }

        return types;
    }

    private static JsonNode? Typed(string value, HashSet<string> types)
    {
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

        if ((types.Contains("array") || types.Contains("object")) && value.Length > 0 && value[0] is '[' or '{')
        {
            try
            {
                return JsonNode.Parse(value);
            }
            catch (JsonException)
            {
                // Fall through: the schema check will report the string.
            }
        }

        return JsonValue.Create(value);
    }
}
