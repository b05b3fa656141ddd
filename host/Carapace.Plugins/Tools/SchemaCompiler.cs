using System.Text.Json;
using Json.Schema;

namespace Carapace.Plugins.Tools;

/// <summary>One schema error: where in the instance, and what is wrong.</summary>
internal sealed record SchemaError(string Path, string Message);

/// <summary>
/// Builds and evaluates JSON Schemas with JsonSchema.Net. Every schema is built with its own
/// <see cref="SchemaRegistry"/>: the library registers built schemas in the registry it is given
/// (the process-wide one by default), and plugin schemas must not accumulate there across reloads.
/// </summary>
internal static class SchemaCompiler
{
    private static readonly EvaluationOptions ListOutput = new() { OutputFormat = OutputFormat.List };

    public static JsonSchema Compile(JsonElement schema)
    {
        if (schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
        {
            throw new JsonSchemaException("a schema must be a JSON object or a boolean");
        }

        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        return JsonSchema.Build(schema, options);
    }

    /// <returns>An empty list when <paramref name="instance"/> is valid.</returns>
    public static IReadOnlyList<SchemaError> Validate(JsonSchema schema, JsonElement instance)
    {
        var result = schema.Evaluate(instance, ListOutput);
        if (result.IsValid)
        {
            return [];
        }

        var errors = new List<SchemaError>();
        Collect(result, errors);
        if (errors.Count == 0)
        {
            errors.Add(new SchemaError(result.InstanceLocation.ToString(), "value does not match the schema"));
        }

        return errors;
    }

    private static void Collect(EvaluationResults node, List<SchemaError> errors)
    {
        if (node.Errors is { } own)
        {
            foreach (var (keyword, message) in own)
            {
                var path = node.InstanceLocation.ToString();
                errors.Add(new SchemaError(string.IsNullOrEmpty(path) ? "/" : path, $"{keyword}: {message}"));
            }
        }

        if (node.Details is { } details)
        {
            foreach (var child in details)
            {
                Collect(child, errors);
            }
        }
    }
}
