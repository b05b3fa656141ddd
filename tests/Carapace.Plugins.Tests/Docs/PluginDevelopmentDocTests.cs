using System.Text.RegularExpressions;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Tests.Docs;

/// <summary>The minimal example in docs/plugin-development.md is the HelloPlugin fixture, verbatim, and it loads.</summary>
public sealed partial class PluginDevelopmentDocTests
{
    private static readonly string DocsDirectory = Path.Combine(AppContext.BaseDirectory, "docs");

    [Theory]
    [InlineData("HelloPlugin.csproj")]
    [InlineData("plugin.yaml")]
    [InlineData("HelloTool.cs")]
    public void Documented_example_matches_the_fixture_file(string file)
    {
        var doc = File.ReadAllText(Path.Combine(DocsDirectory, "plugin-development.md"));
        var blocks = CodeBlock().Matches(doc).ToDictionary(m => m.Groups["file"].Value, m => m.Groups["code"].Value);

        Assert.True(blocks.ContainsKey(file), $"docs/plugin-development.md has no code block titled {file}");
        Assert.Equal(Normalize(File.ReadAllText(Path.Combine(DocsDirectory, "HelloPlugin", file))), Normalize(blocks[file]));
    }

    [Fact]
    public async Task Documented_example_builds_and_loads()
    {
        await using var harness = await RuntimeHarness.StartAsync(["hello"], new Dictionary<string, string?> { ["plugins:hello:greeting"] = "Bonjour" });

        var result = await harness.Runtime.InvokeToolAsync("hello", JsonText.Parse("""{"name":"Ada"}"""));

        Assert.Equal(ToolResultCodes.Ok, result.Code);
        Assert.Equal("Bonjour, Ada!", result.Output!.Value.GetProperty("text").GetString());
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    // A fenced block preceded by a line "<!-- file: NAME -->".
    [GeneratedRegex(@"<!-- file: (?<file>[^ ]+) -->\s*```[a-z]*\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
