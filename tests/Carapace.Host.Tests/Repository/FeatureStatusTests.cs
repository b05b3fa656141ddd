using Carapace.Testing;
using YamlDotNet.RepresentationModel;

namespace Carapace.Host.Tests.Repository;

/// <summary>
/// Keeps feature-status.yaml honest: every feature has a known status, and every test a feature names
/// exists as a [Fact] or [Theory] in that file — not commented out, and (for <c>verified</c>) not skipped.
/// </summary>
public sealed class FeatureStatusTests
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

            problems.AddRange(tests.Select(test => TestReference.Check(RepositoryRoot.Path, id, test, status is "verified")).OfType<string>());
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Feature_ids_are_unique()
    {
        var ids = LoadFeatures().Select(f => Scalar(f, "id")).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Checker_reports_missing_skipped_and_commented_out_tests()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "SampleTests.cs"), """
            public sealed class SampleTests
            {
                [Fact]
                public void Real_test() { }

                [Theory]
                [InlineData(1)]
                // a comment between attributes is fine
                public async Task Real_theory(int n) { }

                [Fact(Skip = "flaky")]
                public void Skipped_test() { }

                [SecretServiceFact(Skip = "later")]
                public void Skipped_custom_fact() { }

                // [Fact]
                // public void Commented_out_test() { }

                [Fact]
                // public void Commented_declaration() { }
                public void Helper_named_differently() { }

                /*
                [Fact]
                public void Block_commented_test() { }
                */

                public void Not_a_test() { }
            }
            """);

        string? Check(string method, bool verified = true) => TestReference.Check(dir.Path, "f", $"SampleTests.cs::{method}", verified);

        Assert.Null(Check("Real_test"));
        Assert.Null(Check("Real_theory"));
        Assert.Contains("no [Fact]/[Theory] named Made_up_name", Check("Made_up_name"), StringComparison.Ordinal);
        Assert.Contains("is skipped", Check("Skipped_test"), StringComparison.Ordinal);
        Assert.Contains("is skipped", Check("Skipped_custom_fact"), StringComparison.Ordinal);
        Assert.Null(Check("Skipped_test", verified: false));
        Assert.NotNull(Check("Commented_out_test"));
        Assert.NotNull(Check("Commented_declaration"));
        Assert.NotNull(Check("Block_commented_test"));
        Assert.NotNull(Check("Not_a_test"));
        Assert.Contains("does not exist", TestReference.Check(dir.Path, "f", "Missing.cs::Real_test", true), StringComparison.Ordinal);
        Assert.Contains("is not 'path/File.cs::Method'", TestReference.Check(dir.Path, "f", "SampleTests.cs", true), StringComparison.Ordinal);
    }

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
