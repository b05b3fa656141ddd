using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carapace.Plugins.Tools;
using Carapace.Storage;
using Carapace.Storage.Yaml;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Carapace.Plugins.Manifest;

/// <summary>
/// Reads <c>plugin.yaml</c>. Walks YamlDotNet's representation model by hand rather than
/// deserialising into a class, so that every problem (unknown field, wrong type, bad value) can be
/// reported with its line and column, and so that nothing in the file can instantiate a type.
/// </summary>
internal static partial class ManifestParser
{
    /// <summary>Largest <c>plugin.yaml</c> read; real manifests are a few hundred bytes.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>
    /// Ids the host uses for its own sections under <c>plugins:</c>; a plugin cannot take them, or its
    /// configuration would be the host's (<c>plugins:signature</c> is the signature policy). Besides the
    /// runtime's keys: <c>signature</c> (SignaturePolicy), and <c>entries</c> and <c>sandbox</c>, which the
    /// upstream configuration uses under <c>plugins.</c> for host policy. Listed in docs/plugin-development.md.
    /// </summary>
    public static IReadOnlySet<string> ReservedIds { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "enabled", "watch", "load", "runtime", "signature", "entries", "sandbox",
    };

    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "id", "name", "version", "targetAbi", "entryAssembly", "kind", "capabilities", "assemblies",
        "configSchema", "description", "enabledByDefault",
    };

    private static readonly HashSet<string> KnownCapabilities = new(StringComparer.Ordinal)
    {
        "http", "credentials", "subprocess", "filesystem", "channels",
    };

    /// <summary>Reads and validates <c>plugin.yaml</c> in <paramref name="directory"/>.</summary>
    public static ManifestResult ParseDirectory(string directory)
    {
        var dir = Path.GetFullPath(directory);
        var file = Path.Combine(dir, PluginManifest.FileName);
        if (!File.Exists(file))
        {
            return ManifestResult.Fail($"no {PluginManifest.FileName} in {dir}", null);
        }

        byte[]? bytes;
        try
        {
            bytes = CappedFile.ReadAllBytes(file, MaxBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ManifestResult.Fail($"cannot read {PluginManifest.FileName}: {ex.Message}", null);
        }

        if (bytes is null)
        {
            return ManifestResult.Fail($"{PluginManifest.FileName}: the file is larger than {MaxBytes / 1024} KiB", null);
        }

        // As File.ReadAllText: UTF-8, a byte order mark dropped, invalid bytes replaced (the parser then reports them).
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        if (text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }

        return Parse(text, dir, checkFiles: true);
    }

    /// <param name="yaml">The manifest text.</param>
    /// <param name="directory">The plugin folder (absolute).</param>
    /// <param name="checkFiles">Check that the entry assembly and allowlisted assemblies exist.</param>
    public static ManifestResult Parse(string yaml, string directory, bool checkFiles)
    {
        string? id = null;
        try
        {
            var root = LoadRoot(yaml);
            if (root.Children.TryGetValue(new YamlScalarNode("id"), out var declaredId) && declaredId is YamlScalarNode { Value: { } declared }
                && IdPattern().IsMatch(declared.Trim()) && !ReservedIds.Contains(declared.Trim()))
            {
                // Known early so that a plugin with a broken manifest is still listed under its own id.
                id = declared.Trim();
            }

            foreach (var (key, _) in root.Children)
            {
                var field = KeyText(key);
                if (!KnownFields.Contains(field))
                {
                    throw Error(key, $"unknown field '{field}'" + Suggest(field, KnownFields));
                }
            }

            var idNode = Required(root, "id");
            id = ScalarText(idNode, "id");
            if (!IdPattern().IsMatch(id))
            {
                var bad = id;
                id = null;
                throw Error(idNode, $"id '{bad}' must match ^[a-z0-9][a-z0-9-]{{0,31}}$ (lowercase letters, digits, hyphens, at most 32)");
            }

            if (ReservedIds.Contains(id))
            {
                var bad = id;
                id = null;
                throw Error(idNode, $"id '{bad}' is reserved by the host (plugins:{bad} is a host setting)");
            }

            var name = OptionalText(root, "name") ?? id;
            var versionNode = Required(root, "version");
            var version = ScalarText(versionNode, "version");
            if (!SemVerPattern().IsMatch(version))
            {
                throw Error(versionNode, $"version '{version}' is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])");
            }

            var abiNode = Required(root, "targetAbi");
            var abiText = ScalarText(abiNode, "targetAbi");
            var abiMatch = AbiPattern().Match(abiText);
            if (!abiMatch.Success)
            {
                throw Error(abiNode, $"targetAbi '{abiText}' must be MAJOR.MINOR, e.g. \"1.0\"");
            }

            var targetAbi = new System.Version(
                int.Parse(abiMatch.Groups[1].Value, CultureInfo.InvariantCulture),
                int.Parse(abiMatch.Groups[2].Value, CultureInfo.InvariantCulture));

            var entryNode = Required(root, "entryAssembly");
            var entry = ScalarText(entryNode, "entryAssembly");
            var entryRelative = CheckRelativePath(entryNode, entry, directory, "entryAssembly");
            if (!entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                throw Error(entryNode, $"entryAssembly '{entry}' must be a .dll file");
            }

            if (checkFiles && !File.Exists(Path.Combine(directory, entryRelative)))
            {
                throw Error(entryNode, $"entry assembly '{entry}' not found in {directory}");
            }

            var kind = ParseKind(Required(root, "kind"));
            var capabilities = root.Children.TryGetValue(new YamlScalarNode("capabilities"), out var capNode)
                ? ParseCapabilities(capNode)
                : PluginCapabilities.None;

            IReadOnlyList<string>? assemblies = null;
            if (root.Children.TryGetValue(new YamlScalarNode("assemblies"), out var asmNode))
            {
                var list = new List<string>();
                foreach (var item in Sequence(asmNode, "assemblies"))
                {
                    var path = ScalarText(item, "assemblies[]");
                    var relative = CheckRelativePath(item, path, directory, "assemblies");
                    if (checkFiles && !File.Exists(Path.Combine(directory, relative)))
                    {
                        throw Error(item, $"allowlisted assembly '{path}' not found in {directory}");
                    }

                    list.Add(relative);
                }

                assemblies = list;
            }

            JsonElement? configSchema = null;
            if (root.Children.TryGetValue(new YamlScalarNode("configSchema"), out var schemaNode))
            {
                configSchema = ParseConfigSchema(schemaNode);
            }

            var enabledByDefault = true;
            if (root.Children.TryGetValue(new YamlScalarNode("enabledByDefault"), out var enabledNode))
            {
                enabledByDefault = Bool(enabledNode, "enabledByDefault");
            }

            var manifest = new PluginManifest
            {
                Id = id,
                Name = name,
                Version = version,
                TargetAbi = targetAbi,
                EntryAssembly = entryRelative,
                Kind = kind,
                Capabilities = capabilities,
                Assemblies = assemblies,
                ConfigSchema = configSchema,
                EnabledByDefault = enabledByDefault,
                Description = OptionalText(root, "description"),
                Directory = directory,
            };
            return ManifestResult.Ok(manifest);
        }
        catch (ManifestException ex)
        {
            return ManifestResult.Fail($"{PluginManifest.FileName}: {ex.Message}", id);
        }
    }

    private static YamlMappingNode LoadRoot(string yaml)
    {
        YamlStream stream;
        try
        {
            stream = UntrustedYaml.Load(yaml);
        }
        catch (YamlException ex)
        {
            // YamlDotNet's messages already say "(Line: x, Col: y ...)"; keep just the useful part.
            throw new ManifestException($"invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {Inner(ex)}", ex);
        }

        if (stream.Documents.Count != 1)
        {
            throw new ManifestException(stream.Documents.Count == 0 ? "file is empty" : "file must contain exactly one YAML document");
        }

        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw Error(stream.Documents[0].RootNode, "the top level must be a mapping of fields");
    }

    private static string Inner(YamlException ex)
    {
        var message = (ex.InnerException as YamlException)?.Message ?? ex.Message;
        var idx = message.IndexOf("): ", StringComparison.Ordinal);
        return idx >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(idx + 3)..] : message;
    }

    private static PluginKind ParseKind(YamlNode node)
    {
        IEnumerable<YamlNode> items = node is YamlSequenceNode seq ? seq.Children : [node];
        var kind = PluginKind.None;
        foreach (var item in items)
        {
            var text = ScalarText(item, "kind");
            kind |= text switch
            {
                "channel" => PluginKind.Channel,
                "tool" => PluginKind.Tool,
                _ => throw Error(item, $"kind '{text}' must be 'channel' or 'tool'"),
            };
        }

        return kind == PluginKind.None ? throw Error(node, "kind must name at least one of: channel, tool") : kind;
    }

    private static PluginCapabilities ParseCapabilities(YamlNode node)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return PluginCapabilities.None;
        }

        if (node is not YamlMappingNode map)
        {
            throw Error(node, "capabilities must be a mapping (http, credentials, subprocess, filesystem, channels)");
        }

        var http = new List<string>();
        var credentials = false;
        var profiles = new List<string>();
        var filesystem = new List<string>();
        var channels = new List<string>();
        foreach (var (key, value) in map.Children)
        {
            var name = KeyText(key);
            switch (name)
            {
                case "http":
                    foreach (var item in Sequence(value, "capabilities.http"))
                    {
                        var pattern = ScalarText(item, "capabilities.http[]");
                        if (!pattern.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                            && !pattern.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
                        {
                            throw Error(item, $"http pattern '{pattern}' must be an absolute http(s) URL pattern");
                        }

                        http.Add(pattern);
                    }

                    break;
                case "credentials":
                    credentials = Bool(value, "capabilities.credentials");
                    break;
                case "subprocess":
                    profiles.AddRange(ParseSubprocess(value));
                    break;
                case "filesystem":
                    foreach (var item in Sequence(value, "capabilities.filesystem"))
                    {
                        filesystem.Add(ScalarText(item, "capabilities.filesystem[]"));
                    }

                    break;
                case "channels":
                    foreach (var item in Sequence(value, "capabilities.channels"))
                    {
                        var channel = ScalarText(item, "capabilities.channels[]");
                        if (channel != PluginCapabilities.AnyChannel && !Activation.PluginActivator.IsValidChannelId(channel))
                        {
                            throw Error(item, $"channel id '{channel}' must match ^[a-z0-9][a-z0-9_-]{{0,63}}$ (or be '*' for any channel)");
                        }

                        channels.Add(channel);
                    }

                    break;
                default:
                    throw Error(key, $"unknown capability '{name}'" + Suggest(name, KnownCapabilities));
            }
        }

        return new PluginCapabilities(http, credentials, profiles, filesystem, channels);
    }

    private static List<string> ParseSubprocess(YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            throw Error(node, "capabilities.subprocess must be a mapping: {profile: NAME} or {profiles: [NAME, ...]}");
        }

        var result = new List<string>();
        foreach (var (key, value) in map.Children)
        {
            var name = KeyText(key);
            switch (name)
            {
                case "profile":
                    result.Add(ScalarText(value, "capabilities.subprocess.profile"));
                    break;
                case "profiles":
                    result.AddRange(Sequence(value, "capabilities.subprocess.profiles").Select(n => ScalarText(n, "capabilities.subprocess.profiles[]")));
                    break;
                default:
                    throw Error(key, $"unknown field '{name}' in capabilities.subprocess (expected profile or profiles)");
            }
        }

        return result;
    }

    private static JsonElement ParseConfigSchema(YamlNode node)
    {
        var json = YamlJson.ToJson(node);
        if (json is null)
        {
            throw Error(node, "configSchema must be a JSON Schema object");
        }

        var text = json.ToJsonString();
        using var doc = JsonDocument.Parse(text);
        try
        {
            _ = SchemaCompiler.Compile(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException or RefResolutionException)
        {
            throw Error(node, $"configSchema is not a valid JSON Schema: {ex.Message}");
        }

        return doc.RootElement.Clone();
    }

    // A complex key (`? [a]: b`) is no field name; it then matches nothing and is reported as unknown.
    private static string KeyText(YamlNode key) => (key as YamlScalarNode)?.Value ?? string.Empty;

    private static YamlNode Required(YamlMappingNode root, string field) =>
        root.Children.TryGetValue(new YamlScalarNode(field), out var node)
            ? node
            : throw new ManifestException($"missing required field '{field}'");

    private static string? OptionalText(YamlMappingNode root, string field) =>
        root.Children.TryGetValue(new YamlScalarNode(field), out var node) ? ScalarText(node, field) : null;

    private static string ScalarText(YamlNode node, string field)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw Error(node, $"'{field}' must be a single value");
        }

        var text = scalar.Value?.Trim();
        return string.IsNullOrEmpty(text) ? throw Error(node, $"'{field}' must not be empty") : text;
    }

    private static bool Bool(YamlNode node, string field) => ScalarText(node, field) switch
    {
        "true" or "True" or "TRUE" => true,
        "false" or "False" or "FALSE" => false,
        var other => throw Error(node, $"'{field}' must be true or false, not '{other}'"),
    };

    private static IEnumerable<YamlNode> Sequence(YamlNode node, string field) => node switch
    {
        YamlSequenceNode seq => seq.Children,
        YamlScalarNode { Value: null or "" } => [],
        _ => throw Error(node, $"'{field}' must be a list"),
    };

    /// <summary>
    /// A path inside the plugin folder: relative, no "..", and canonically under the folder
    /// (Jellyfin's rule for its <c>assemblies</c> list). Returns the normalised relative path.
    /// </summary>
    private static string CheckRelativePath(YamlNode node, string path, string directory, string field)
    {
        if (Path.IsPathRooted(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw Error(node, $"{field} '{path}' must be a relative path inside the plugin folder");
        }

        var segments = path.Split('/', '\\');
        if (segments.Any(s => s == ".."))
        {
            throw Error(node, $"{field} '{path}' escapes the plugin folder ('..' is not allowed)");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, path));
        return full.StartsWith(root, StringComparison.Ordinal)
            ? Path.GetRelativePath(root, full)
            : throw Error(node, $"{field} '{path}' escapes the plugin folder");
    }

    private static ManifestException Error(YamlNode node, string message) =>
        new($"{message} (line {node.Start.Line}, column {node.Start.Column})");

    private static string Suggest(string name, IEnumerable<string> known)
    {
        var match = known
            .Select(k => (Known: k, Score: CommonPrefix(k, name)))
            .Where(x => x.Score >= Math.Min(5, Math.Min(x.Known.Length, name.Length)) || string.Equals(x.Known, name, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(x => x.Score)
            .Select(x => x.Known)
            .FirstOrDefault();
        return match is null ? string.Empty : $"; did you mean '{match}'?";
    }

    private static int CommonPrefix(string a, string b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && char.ToLowerInvariant(a[i]) == char.ToLowerInvariant(b[i]))
        {
            i++;
        }

        return i;
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SemVerPattern();

    [GeneratedRegex(@"^(\d{1,4})\.(\d{1,4})\z", RegexOptions.CultureInvariant)]
    private static partial Regex AbiPattern();
}
