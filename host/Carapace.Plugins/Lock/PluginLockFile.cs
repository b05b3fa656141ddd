using System.Globalization;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Storage;
using Carapace.Storage.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Carapace.Plugins.Lock;

/// <summary>
/// Reads and writes <c>&lt;state&gt;/plugins/plugins-lock.yaml</c>. A missing file is an empty lock;
/// a file that exists must parse completely (known keys only, every value valid) or the read fails
/// with file:line:column. Writes are atomic (temp file, fsync, rename) and owner-only.
/// </summary>
internal static class PluginLockFile
{
    public const string FileName = "plugins-lock.yaml";

    private const long MaxBytes = 16L * 1024 * 1024;

    private static readonly string[] EntryKeys =
    [
        "id", "version", "sha256", "publisherKey", "signatureSha256", "installedAt", "source",
        "allowUnsigned", "allowUnvetted", "findingCount", "findings",
    ];

    /// <summary>The lock file's path under a plugins directory (<c>&lt;state&gt;/plugins</c>).</summary>
    public static string PathIn(string pluginsDirectory) => Path.Combine(pluginsDirectory, FileName);

    public static PluginLock Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return PluginLock.Empty;
        }

        if (info.Length > MaxBytes)
        {
            throw new PluginLockException(path, 1, 1, $"the file is larger than {MaxBytes} bytes");
        }

        // The lock lives in the state directory, but a hostile or corrupted copy must not crash the host:
        // the shared guard refuses deep nesting (20 000 levels overflowed YamlDotNet's recursive loader),
        // aliases (cycles, "billion laughs") and turns YamlDotNet's non-YAML exceptions into positioned errors.
        YamlStream stream;
        try
        {
            stream = UntrustedYaml.Load(ReadText(path));
        }
        catch (YamlException ex)
        {
            throw new PluginLockException(path, ex.Start.Line, ex.Start.Column, $"not valid YAML: {Trim(ex.Message)}", ex);
        }

        if (stream.Documents.Count != 1)
        {
            throw new PluginLockException(path, 1, 1, stream.Documents.Count == 0 ? "the file is empty" : "the file holds more than one YAML document");
        }

        var root = stream.Documents[0].RootNode;
        if (root.AllNodes.FirstOrDefault(n => !n.Tag.IsEmpty) is { } tagged)
        {
            // Carapace never writes tags; a tag (!!python/object, !custom) means the file was not written by it.
            throw new PluginLockException(path, tagged.Start.Line, tagged.Start.Column,
                $"YAML tags ({tagged.Tag}) are not allowed in the lock file");
        }

        return new Parser(path).Lock(root);
    }

    /// <summary>The file as UTF-8; a byte sequence that is not UTF-8 is an error, not a replacement character.</summary>
    private static string ReadText(string path)
    {
        try
        {
            return new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true)
                .GetString(File.ReadAllBytes(path));
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new PluginLockException(path, 1, 1, $"the file is not valid UTF-8 ({ex.Message})", ex);
        }
    }

    public static void Write(string path, PluginLock pluginLock)
    {
        var plugins = new YamlSequenceNode();
        foreach (var entry in pluginLock.Plugins)
        {
            entry.Validate();
            plugins.Add(EntryNode(entry));
        }

        var root = new YamlMappingNode
        {
            { "version", Plain(PluginLock.CurrentVersion.ToString(CultureInfo.InvariantCulture)) },
            { "plugins", plugins },
        };

        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        writer.WriteLine("# Managed plugins, pinned by content digest. Written by Carapace on install, update and uninstall.");
        writer.WriteLine("# Editing it by hand makes the pinned plugins fail verification at load.");
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            OwnerOnly.EnsureDirectory(directory);
        }

        // YamlStream closes the document with an explicit end marker; a single-document file does not need it.
        var text = writer.ToString();
        if (text.EndsWith("...\n", StringComparison.Ordinal))
        {
            text = text[..^"...\n".Length];
        }

        AtomicFile.WriteAllText(path, text);
    }

    private static YamlMappingNode EntryNode(PluginLockEntry entry)
    {
        var node = new YamlMappingNode
        {
            { "id", Quoted(entry.Id) },
            { "version", Quoted(entry.Version) },
            { "sha256", Quoted(entry.Sha256.Hex) },
        };
        if (entry.PublisherKey is { } publisher)
        {
            node.Add("publisherKey", Quoted(publisher.Hex));
            node.Add("signatureSha256", Quoted(entry.SignatureSha256!));
        }

        node.Add("installedAt", Quoted(entry.InstalledAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)));
        node.Add("source", Quoted(entry.Source));
        node.Add("allowUnsigned", Plain(entry.AllowUnsigned ? "true" : "false"));
        node.Add("allowUnvetted", Plain(entry.AllowUnvetted ? "true" : "false"));
        node.Add("findingCount", Plain(entry.FindingCount.ToString(CultureInfo.InvariantCulture)));
        var findings = new YamlSequenceNode();
        foreach (var finding in entry.Findings)
        {
            findings.Add(new YamlMappingNode { { "code", Quoted(finding.Code) }, { "message", Quoted(finding.Message) } });
        }

        node.Add("findings", findings);
        return node;
    }

    private static YamlScalarNode Quoted(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };

    private static YamlScalarNode Plain(string value) => new(value) { Style = ScalarStyle.Plain };

    private static string Trim(string message) => message.Replace('\n', ' ').Trim();

    /// <summary>Walks the document, failing at the first problem with its position.</summary>
    private sealed class Parser(string path)
    {
        public PluginLock Lock(YamlNode root)
        {
            var mapping = Mapping(root, "the top level");
            CheckKeys(mapping, ["version", "plugins"]);
            var versionNode = Required(mapping, root, "version");
            var version = Int(versionNode, "version");
            if (version != PluginLock.CurrentVersion)
            {
                throw Error(versionNode, version > PluginLock.CurrentVersion
                    ? $"lock file version {version} was written by a newer Carapace; this one reads version {PluginLock.CurrentVersion}"
                    : $"unknown lock file version {version}");
            }

            var pluginsNode = Required(mapping, root, "plugins");
            var entries = new List<PluginLockEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in Sequence(pluginsNode, "plugins"))
            {
                var entry = Entry(item);
                if (!seen.Add(entry.Id))
                {
                    throw Error(item, $"plugin '{entry.Id}' appears more than once");
                }

                entries.Add(entry);
            }

            return new PluginLock(entries);
        }

        private PluginLockEntry Entry(YamlNode node)
        {
            var map = Mapping(node, "a plugins entry");
            CheckKeys(map, EntryKeys);

            var idNode = Required(map, node, "id");
            var id = String(idNode, "id");
            if (!PluginLockEntry.IsValidId(id))
            {
                throw Error(idNode, $"id '{id}' must be 1-32 lowercase letters, digits or hyphens");
            }

            var versionNode = Required(map, node, "version");
            var version = String(versionNode, "version");
            if (!PluginLockEntry.IsValidVersion(version))
            {
                throw Error(versionNode, $"version '{version}' must be 1-64 characters of [0-9A-Za-z.+-]");
            }

            var shaNode = Required(map, node, "sha256");
            if (!ContentDigest.TryParse(String(shaNode, "sha256"), out var digest))
            {
                throw Error(shaNode, "sha256 must be 64 hex characters");
            }

            PublisherKey? publisher = null;
            if (Optional(map, "publisherKey") is { } publisherNode)
            {
                if (!PublisherKey.TryParse(String(publisherNode, "publisherKey"), out var key))
                {
                    throw Error(publisherNode, "publisherKey must be 64 hex characters");
                }

                publisher = key;
            }

            string? signatureSha = null;
            if (Optional(map, "signatureSha256") is { } signatureNode)
            {
                if (!ContentDigest.TryParse(String(signatureNode, "signatureSha256"), out var signatureDigest))
                {
                    throw Error(signatureNode, "signatureSha256 must be 64 hex characters");
                }

                signatureSha = signatureDigest.Hex;
            }

            if ((publisher is null) != (signatureSha is null))
            {
                throw Error(node, "publisherKey and signatureSha256 must be given together or not at all");
            }

            var installedNode = Required(map, node, "installedAt");
            if (!DateTimeOffset.TryParse(String(installedNode, "installedAt"), CultureInfo.InvariantCulture,
                    DateTimeStyles.RoundtripKind, out var installedAt))
            {
                throw Error(installedNode, "installedAt must be an ISO-8601 timestamp");
            }

            var findings = new List<LockedFinding>();
            if (Optional(map, "findings") is { } findingsNode)
            {
                foreach (var item in Sequence(findingsNode, "findings"))
                {
                    var finding = Mapping(item, "a finding");
                    CheckKeys(finding, ["code", "message"]);
                    findings.Add(new LockedFinding(
                        String(Required(finding, item, "code"), "code"),
                        String(Required(finding, item, "message"), "message")));
                }
            }

            var countNode = Optional(map, "findingCount");
            var count = countNode is null ? findings.Count : Int(countNode, "findingCount");
            if (count < findings.Count)
            {
                throw Error(countNode!, "findingCount is smaller than the number of findings listed");
            }

            return new PluginLockEntry
            {
                Id = id,
                Version = version,
                Sha256 = digest,
                PublisherKey = publisher,
                SignatureSha256 = signatureSha,
                InstalledAt = installedAt,
                Source = String(Required(map, node, "source"), "source"),
                AllowUnsigned = Optional(map, "allowUnsigned") is { } unsigned && Bool(unsigned, "allowUnsigned"),
                AllowUnvetted = Optional(map, "allowUnvetted") is { } unvetted && Bool(unvetted, "allowUnvetted"),
                FindingCount = count,
                Findings = findings,
            };
        }

        private YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping");

        private IEnumerable<YamlNode> Sequence(YamlNode node, string key) => node switch
        {
            YamlSequenceNode sequence => sequence.Children,
            YamlScalarNode { Value: null or "" or "~" or "null" } => [],
            _ => throw Error(node, $"{key} must be a list"),
        };

        private void CheckKeys(YamlMappingNode map, IReadOnlyCollection<string> allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value;
                if (name is null || !allowed.Contains(name))
                {
                    throw Error(key, $"unknown key '{name}' (expected one of: {string.Join(", ", allowed)})");
                }
            }
        }

        private YamlNode Required(YamlMappingNode map, YamlNode owner, string key) =>
            Optional(map, key) ?? throw Error(owner, $"missing required key '{key}'");

        private static YamlNode? Optional(YamlMappingNode map, string key)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var value))
            {
                return null;
            }

            return value is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" } ? null : value;
        }

        private string String(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{key} must be a string");

        private int Int(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { } value } && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw Error(node, $"{key} must be a non-negative integer");

        private bool Bool(YamlNode node, string key) => node is YamlScalarNode { Value: { } value } && value is "true" or "false"
            ? value == "true"
            : throw Error(node, $"{key} must be true or false");

        private PluginLockException Error(YamlNode node, string detail) =>
            new(path, node.Start.Line, node.Start.Column, detail);
    }
}
