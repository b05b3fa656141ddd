using Carapace.Plugins.Manifest;

namespace Carapace.Plugins.Tests.Manifest;

public sealed class ManifestParserTests
{
    private const string Dir = "/plugins/sample";

    /// <summary>Every field, valid (also a seed of <see cref="ManifestFuzzTests"/>).</summary>
    internal const string Valid = """
        id: sample-plugin
        name: Sample
        version: 1.2.3-beta.1
        targetAbi: "1.0"
        entryAssembly: Sample.dll
        kind: [channel, tool]
        enabledByDefault: false
        capabilities:
          http: ["https://api.example.com/*"]
          credentials: true
          subprocess: { profiles: [build, lint] }
          filesystem: [/srv/data]
        assemblies: [Sample.dll, lib/Helper.dll]
        configSchema:
          type: object
          properties:
            port: { type: integer }
        """;

    [Fact]
    public void Valid_manifest_reads_every_field()
    {
        var result = ManifestParser.Parse(Valid, Dir, checkFiles: false);

        Assert.Null(result.Error);
        var m = result.Manifest!;
        Assert.Equal("sample-plugin", m.Id);
        Assert.Equal("Sample", m.Name);
        Assert.Equal("1.2.3-beta.1", m.Version);
        Assert.Equal(new Version(1, 0), m.TargetAbi);
        Assert.Equal("Sample.dll", m.EntryAssembly);
        Assert.Equal(PluginKind.Channel | PluginKind.Tool, m.Kind);
        Assert.False(m.EnabledByDefault);
        Assert.Equal(["https://api.example.com/*"], m.Capabilities.Http);
        Assert.True(m.Capabilities.Credentials);
        Assert.Equal(["build", "lint"], m.Capabilities.SubprocessProfiles);
        Assert.Equal(["/srv/data"], m.Capabilities.Filesystem);
        Assert.Equal(["Sample.dll", Path.Combine("lib", "Helper.dll")], m.Assemblies!);
        Assert.Equal("integer", m.ConfigSchema!.Value.GetProperty("properties").GetProperty("port").GetProperty("type").GetString());
    }

    [Fact]
    public void Unknown_field_is_reported_with_line_and_column()
    {
        var yaml = Valid.Replace("entryAssembly:", "entrypoint:", StringComparison.Ordinal);

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Contains("unknown field 'entrypoint'", result.Error, StringComparison.Ordinal);
        Assert.Contains("line 5, column 1", result.Error, StringComparison.Ordinal);
        Assert.Equal("sample-plugin", result.Id);
    }

    [Fact]
    public void Broken_yaml_is_reported_with_line_and_column()
    {
        var result = ManifestParser.Parse("id: x\nname: [unclosed\nversion: 1.0.0\n", Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Matches("invalid YAML at line \\d+, column \\d+", result.Error);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("-leading-hyphen")]
    [InlineData("has_underscore")]
    [InlineData("waaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay-too-long")]
    [InlineData("dots.not.allowed")]
    public void Invalid_id_is_refused(string id)
    {
        var result = ManifestParser.Parse(Valid.Replace("id: sample-plugin", $"id: \"{id}\"", StringComparison.Ordinal), Dir, checkFiles: false);

        Assert.Contains("must match ^[a-z0-9][a-z0-9-]{0,31}$", result.Error, StringComparison.Ordinal);
        Assert.Null(result.Id);
    }

    [Fact]
    public void Id_with_an_embedded_line_break_is_refused()
    {
        var result = ManifestParser.Parse(Valid.Replace("id: sample-plugin", "id: \"sample\\nx\"", StringComparison.Ordinal), Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Contains("must match ^[a-z0-9][a-z0-9-]{0,31}$", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_with_a_trailing_line_break_is_read_without_it()
    {
        var result = ManifestParser.Parse(Valid.Replace("id: sample-plugin", "id: \"sample\\n\"", StringComparison.Ordinal), Dir, checkFiles: false);

        Assert.Equal("sample", result.Manifest!.Id);
    }

    [Theory]
    [InlineData("enabled")]
    [InlineData("watch")]
    [InlineData("load")]
    [InlineData("runtime")]
    [InlineData("signature")]
    [InlineData("entries")]
    [InlineData("sandbox")]
    public void Host_owned_plugins_sections_cannot_be_used_as_ids(string id)
    {
        var result = ManifestParser.Parse(Valid.Replace("id: sample-plugin", $"id: {id}", StringComparison.Ordinal), Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Contains($"id '{id}' is reserved by the host (plugins:{id} is a host setting)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reserved_ids_are_the_ones_the_docs_list()
    {
        var docs = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "plugin-development.md"));
        var row = docs.Split('\n').Single(l => l.StartsWith("| `id` |", StringComparison.Ordinal));

        foreach (var id in ManifestParser.ReservedIds)
        {
            Assert.Contains($"`{id}`", row, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("version: 1.0", "not a semantic version")]
    [InlineData("targetAbi: \"one\"", "targetAbi 'one' must be MAJOR.MINOR")]
    [InlineData("kind: plugin", "kind 'plugin' must be 'channel' or 'tool'")]
    [InlineData("entryAssembly: Sample.exe", "must be a .dll")]
    [InlineData("entryAssembly: /usr/lib/Sample.dll", "must be a relative path inside the plugin folder")]
    [InlineData("entryAssembly: ../other/Sample.dll", "escapes the plugin folder")]
    public void Bad_values_are_refused_with_a_specific_reason(string line, string expected)
    {
        var key = line[..line.IndexOf(':', StringComparison.Ordinal)];
        var yaml = string.Join('\n', Valid.Split('\n').Select(l => l.StartsWith(key + ":", StringComparison.Ordinal) ? line : l));

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Contains("(line ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Allowlisted_assembly_escaping_the_folder_is_refused()
    {
        var yaml = Valid.Replace("assemblies: [Sample.dll, lib/Helper.dll]", "assemblies: [Sample.dll, lib/../../evil/Evil.dll]", StringComparison.Ordinal);

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Contains("assemblies 'lib/../../evil/Evil.dll' escapes the plugin folder", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_required_field_is_named()
    {
        var yaml = string.Join('\n', Valid.Split('\n').Where(l => !l.StartsWith("version:", StringComparison.Ordinal)));

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Contains("missing required field 'version'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_capability_is_refused()
    {
        var yaml = Valid.Replace("credentials: true", "secrets: true", StringComparison.Ordinal);

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Contains("unknown capability 'secrets'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_config_schema_is_refused()
    {
        var yaml = Valid.Replace("port: { type: integer }", "port: { type: 42 }", StringComparison.Ordinal);

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Contains("configSchema is not a valid JSON Schema", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_entry_assembly_file_is_refused()
    {
        using var dir = new Carapace.Testing.PluginHarness.TempDirectory();
        File.WriteAllText(dir.Combine("plugin.yaml"), "id: lonely\nversion: 1.0.0\ntargetAbi: \"1.0\"\nentryAssembly: Lonely.dll\nkind: tool\n");

        var result = ManifestParser.ParseDirectory(dir.Path);

        Assert.Contains("entry assembly 'Lonely.dll' not found", result.Error, StringComparison.Ordinal);
        Assert.Equal("lonely", result.Id);
    }
}
