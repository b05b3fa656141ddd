using Carapace.Plugins.Manifest;
using Carapace.Testing;
using Carapace.Testing.Fuzz;

namespace Carapace.Plugins.Tests.Manifest;

/// <summary>
/// plugin.yaml comes from whoever published the plugin: whatever it holds, reading it gives a manifest or a
/// manifest error, never another exception, never a stack overflow, never unbounded work.
/// </summary>
public sealed class ManifestFuzzTests
{
    private const string Dir = "/plugins/fuzzed";

    private static readonly string[] Seeds =
    [
        "id: sample\nversion: 1.0.0\ntargetAbi: \"1.0\"\nentryAssembly: Sample.dll\nkind: tool\n",
        ManifestParserTests.Valid,
        "id: s\nversion: 0.1.0\ntargetAbi: \"1.0\"\nentryAssembly: S.dll\nkind: channel\ncapabilities:\n  subprocess:\n    profile: default\n" +
        "configSchema:\n  $defs:\n    n: { type: number }\n  properties:\n    a: { $ref: \"#/$defs/n\" }\n",
    ];

    [Fact]
    public void Every_seed_is_a_valid_manifest() =>
        Assert.All(Seeds, seed => Assert.Null(ManifestParser.Parse(seed, Dir, checkFiles: false).Error));

    [Fact]
    public void Any_text_gives_a_manifest_or_a_manifest_error_and_nothing_else() =>
        ParserFuzz.Check(text =>
        {
            var result = ManifestParser.Parse(text, Dir, checkFiles: false);

            Assert.True(result.Manifest is null != result.Error is null, "exactly one of manifest and error");
            if (result.Error is not null)
            {
                ParserFuzz.AssertClearMessage(result.Error);
                Assert.StartsWith("plugin.yaml: ", result.Error, StringComparison.Ordinal);
            }
        }, Seeds, iterations: 4000);

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    public void Twenty_thousand_levels_of_nesting_are_a_located_error_not_a_stack_overflow(string open, string close)
    {
        var deep = string.Concat(Enumerable.Repeat(open, 20_000)) + string.Concat(Enumerable.Repeat(close, 20_000));

        foreach (var yaml in new[] { Seeds[0] + "configSchema: " + deep + "\n", "description: " + deep + "\n" })
        {
            var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

            Assert.Null(result.Manifest);
            Assert.Matches(@"^plugin\.yaml: invalid YAML at line \d+, column \d+: nesting deeper than 64 levels$", result.Error);
        }
    }

    [Fact]
    public void Block_style_nesting_is_refused_too()
    {
        var yaml = Seeds[0] + "configSchema:\n" + string.Concat(Enumerable.Range(0, 2_000).Select(i => new string(' ', i + 1) + "-\n"));

        var result = ManifestParser.Parse(yaml, Dir, checkFiles: false);

        Assert.Contains("nesting deeper than 64 levels", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_alias_inside_the_node_it_names_is_refused_rather_than_walked_forever()
    {
        var result = ManifestParser.Parse(Seeds[0] + "configSchema: &s\n  type: object\n  properties:\n    self: *s\n", Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Equal("plugin.yaml: invalid YAML at line 9, column 11: YAML aliases (*s) are not supported", result.Error);
    }

    [Fact]
    public void Aliases_that_would_expand_exponentially_are_refused()
    {
        // Ten levels of ten aliases each: 10^10 nodes once a walker expanded them, from a few hundred bytes.
        var lines = new List<string> { "configSchema:", "  l0: &l0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++)
        {
            lines.Add($"  l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]");
        }

        var result = ManifestParser.Parse(Seeds[0] + string.Join('\n', lines) + "\n", Dir, checkFiles: false);

        Assert.Null(result.Manifest);
        Assert.Contains("YAML aliases (*l0) are not supported", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversize_plugin_yaml_is_a_manifest_error_and_one_at_the_cap_is_read()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(Path.Combine(dir.Path, "Sample.dll"), []);
        var path = Path.Combine(dir.Path, PluginManifest.FileName);
        var atCap = Seeds[0] + "#" + new string('x', ManifestParser.MaxBytes - Seeds[0].Length - 2) + "\n";
        Assert.Equal(ManifestParser.MaxBytes, System.Text.Encoding.UTF8.GetByteCount(atCap));

        File.WriteAllText(path, atCap);
        var accepted = ManifestParser.ParseDirectory(dir.Path);
        File.WriteAllText(path, atCap + "\n");
        var refused = ManifestParser.ParseDirectory(dir.Path);

        Assert.Null(accepted.Error);
        Assert.Equal("sample", accepted.Manifest!.Id);
        Assert.Null(refused.Manifest);
        Assert.Equal("plugin.yaml: the file is larger than 64 KiB", refused.Error);
    }
}
