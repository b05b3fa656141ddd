using System.Text.RegularExpressions;
using Carapace.Testing;
using YamlDotNet.RepresentationModel;

namespace Carapace.Host.Tests.Repository;

/// <summary>
/// Keeps feature-status.yaml honest: every feature has a known status, and every test a
/// <c>verified</c> or <c>partial</c> feature names exists as a [Fact] or [Theory] in that file.
/// </summary>
public sealed partial class FeatureStatusTests
{
    private static readonly string[] Statuses = ["verified", "partial", "stub", "missing"];

    [Fact]
    public void Every_listed_test_exists_and_every_status_is_known()
    {
        var problems = new List<string>();
        var features = LoadFeatures();
        Assert.NotEmpty(features);

        foreach (var feature in features)
        {
            var id = Scalar(feature, "id") ?? "(no id)";
            var status = Scalar(feature, "status");
            if (!Statuses.Contains(status))
            {
                problems.Add($"{id}: unknown status '{status}'");
            }

            var tests = feature.Children.TryGetValue(new YamlScalarNode("tests"), out var node) && node is YamlSequenceNode seq
                ? seq.Children.OfType<YamlScalarNode>().Select(s => s.Value!).ToList()
                : [];
            if (status is "verified" && tests.Count == 0)
            {
                problems.Add($"{id}: verified but names no tests");
            }

            if (status is "partial" or "missing" or "stub" && string.IsNullOrWhiteSpace(Scalar(feature, "note")))
            {
                problems.Add($"{id}: {status} needs a note saying what is missing");
            }

            problems.AddRange(tests.Select(test => CheckTest(id, test)).OfType<string>());
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Feature_ids_are_unique()
    {
        var ids = LoadFeatures().Select(f => Scalar(f, "id")).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    private static string? CheckTest(string feature, string reference)
    {
        var parts = reference.Split("::");
        if (parts.Length != 2)
        {
            return $"{feature}: '{reference}' is not 'path/File.cs::Method'";
        }

        var path = Path.Combine(RepositoryRoot.Path, parts[0]);
        if (!File.Exists(path))
        {
            return $"{feature}: test file {parts[0]} does not exist";
        }

        var lines = File.ReadAllLines(path);
        var declaration = new Regex(@"\b(Task|void)\s+" + Regex.Escape(parts[1]) + @"\s*\(");
        for (var i = 0; i < lines.Length; i++)
        {
            if (!declaration.IsMatch(lines[i]))
            {
                continue;
            }

            // Walk up through the attribute block (one attribute per line, comments allowed).
            for (var j = i - 1; j >= 0; j--)
            {
                var line = lines[j].Trim();
                if (TestAttribute().IsMatch(line))
                {
                    return null;
                }

                if (!(line.StartsWith('[') || line.StartsWith("//", StringComparison.Ordinal) || line.Length == 0))
                {
                    break;
                }
            }
        }

        return $"{feature}: no [Fact]/[Theory] named {parts[1]} in {parts[0]}";
    }

    [GeneratedRegex(@"^\[(Fact|Theory|\w+Fact|\w+Theory)\b")]
    private static partial Regex TestAttribute();

    private static List<YamlMappingNode> LoadFeatures()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "feature-status.yaml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return ((YamlSequenceNode)root.Children[new YamlScalarNode("features")]).Children.Cast<YamlMappingNode>().ToList();
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;
}
