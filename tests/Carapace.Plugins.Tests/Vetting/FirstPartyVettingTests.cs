using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Vetting;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Vetting;

/// <summary>The first-party plugins are held to the rule a managed install is: no vetting findings at all.</summary>
public sealed class FirstPartyVettingTests
{
    public static TheoryData<string> FirstPartyPlugins() => new(FirstPartyIds());

    private static List<string> FirstPartyIds()
    {
        var ids = new List<string>();
        foreach (var manifest in Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "plugins"), "plugin.yaml", SearchOption.AllDirectories)
                     .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                                 && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            var id = File.ReadAllLines(manifest).Single(l => l.StartsWith("id:", StringComparison.Ordinal))[3..].Trim();
            ids.Add(id);
        }

        return ids;
    }

    [Theory]
    [MemberData(nameof(FirstPartyPlugins))]
    public void Bundled_plugin_in_the_build_output_has_no_vetting_findings(string id)
    {
        var directory = RuntimeHarness.PluginDirectory(id);
        Assert.True(Directory.Exists(directory), $"first-party plugin '{id}' is not in the build output ({directory})");

        var report = PluginVetter.Vet(directory);

        Assert.True(report.IsClean, string.Join(Environment.NewLine, report.Findings));
        Assert.NotEmpty(report.ScannedAssemblies);
    }

    [Fact]
    public void Every_first_party_plugin_is_covered()
    {
        Assert.Equal(["console", "files", "http-fetch", "shell", "webhook"], FirstPartyIds().Order(StringComparer.Ordinal));
    }
}
