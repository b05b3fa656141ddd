using Carapace.Storage.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Carapace.Host.Configuration;

/// <summary>
/// Turns a YAML document into the flat <c>section:key</c> pairs <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>
/// uses, remembering each value's line and column so that later errors can point at it.
/// Sequences become <c>key:0</c>, <c>key:1</c>, … as the configuration binder expects.
/// </summary>
internal static class YamlFlattener
{
    /// <summary>Maximum config size; larger files are refused before parsing.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    public static FlatYaml Flatten(string yaml, string source)
    {
        YamlStream stream;
        try
        {
            stream = UntrustedYaml.Load(yaml);
        }
        catch (YamlException ex)
        {
            throw new ConfigurationException(new ConfigError(
                null, $"invalid YAML: {Describe(ex)}", source, (int)ex.Start.Line, (int)ex.Start.Column));
        }

        var result = new FlatYaml(source);
        if (stream.Documents.Count == 0)
        {
            return result;
        }

        if (stream.Documents.Count > 1)
        {
            throw new ConfigurationException(new ConfigError(null, "expected a single YAML document", source));
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" })
        {
            return result;
        }

        if (root is not YamlMappingNode mapping)
        {
            throw new ConfigurationException(new ConfigError(
                null, "the top level must be a mapping (key: value)", source, (int)root.Start.Line, (int)root.Start.Column));
        }

        Walk(mapping, prefix: null, result);
        return result;
    }

    private static void Walk(YamlNode node, string? prefix, FlatYaml result)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                if (prefix is not null)
                {
                    result.Containers.Add(prefix);
                }

                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key } || key.Contains(':', StringComparison.Ordinal))
                    {
                        throw new ConfigurationException(new ConfigError(
                            prefix?.Replace(':', '.'), "keys must be non-empty plain names without ':'",
                            result.Source, (int)keyNode.Start.Line, (int)keyNode.Start.Column));
                    }

                    Walk(valueNode, prefix is null ? key : $"{prefix}:{key}", result);
                }

                break;

            case YamlSequenceNode sequence:
                result.Containers.Add(prefix!);
                if (sequence.Children.Count == 0)
                {
                    // IConfiguration has no empty list; an empty value keeps "explicitly empty" (e.g. a
                    // revoked grant) distinguishable from "not configured".
                    result.Values[prefix!] = new ConfigValue(string.Empty, result.Source, (int)sequence.Start.Line, (int)sequence.Start.Column);
                }

                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Walk(sequence.Children[i], $"{prefix}:{i}", result);
                }

                break;

            case YamlScalarNode scalar:
                var isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is null or "~" or "null" or "";
                result.Values[prefix!] = new ConfigValue(
                    isNull ? null : scalar.Value, result.Source, (int)scalar.Start.Line, (int)scalar.Start.Column);
                break;

            default:
                throw new ConfigurationException(new ConfigError(
                    prefix?.Replace(':', '.'), "YAML aliases and tags are not supported in carapace.yaml",
                    result.Source, (int)node.Start.Line, (int)node.Start.Column));
        }
    }

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: x, Col: y, Idx: z) - (…): "; the location is reported separately.
        var message = (ex.InnerException as YamlException)?.Message ?? ex.Message;
        var marker = message.LastIndexOf("): ", StringComparison.Ordinal);
        return marker >= 0 ? message[(marker + 3)..] : message;
    }
}

/// <summary>Result of <see cref="YamlFlattener.Flatten"/>.</summary>
internal sealed class FlatYaml(string source)
{
    public string Source { get; } = source;

    public Dictionary<string, ConfigValue> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Keys of mappings and sequences (including empty ones), to replace rather than merge lists.</summary>
    public HashSet<string> Containers { get; } = new(StringComparer.OrdinalIgnoreCase);
}
