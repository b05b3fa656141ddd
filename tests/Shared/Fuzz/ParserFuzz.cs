using CsCheck;

namespace Carapace.Testing.Fuzz;

/// <summary>
/// Reusable property harness for text parsers: generated inputs (random text, YAML-shaped documents,
/// and mutations of valid seeds) must either parse or fail with the parser's own error type, never
/// with anything else. Parsers that throw their own error type use <see cref="AssertOnlyExpectedFailures{TError}"/>
/// (the configuration loader); parsers that return errors as values use <see cref="Check"/> with a property
/// of the result (the plugin.yaml manifest parser). Shared as source with the test projects that set
/// <c>UsesParserFuzz</c> (tests/Directory.Build.props), which also brings CsCheck.
/// </summary>
internal static class ParserFuzz
{
    private static readonly string[] Fragments =
    [
        ":", ": ", "- ", "\n", "  ", "\t", "#", "'", "\"", "{", "}", "[", "]", ",", "&a", "*a", "!!str", "!tag", "? ",
        "|", ">", "---", "...", "%YAML 1.2", "${", "$${X}", "${HOME}", "~", "null", "true", "0x1F", "1e999", "-1",
        "\\u0000", "\u0000", "\u202e", "\ud800", "é", "💥", "key", "gateway", "port", "bind", "auth", "token", ":::",
        "\r\n", "<<: *a", "&anchor [1, 2]", new string('a', 300), new string('[', 200), new string('-', 50),
        "id", "configSchema", "type: object", "properties", "$ref", "pattern", "capabilities", "http", "subprocess",
        "&s {a: *s}", "? [k]", "!!binary", "0.0", "\"1.0\"", "1.2.3", ".dll", "../",
    ];

    /// <summary>Text made of YAML punctuation and keywords: reaches far deeper into a YAML parser than random bytes.</summary>
    public static Gen<string> YamlShaped { get; } =
        Gen.OneOf(Fragments).Array[0, 60].Select(parts => string.Concat(parts));

    /// <summary>Random edits (insert, delete, replace) of a valid document.</summary>
    public static Gen<string> Mutations(params string[] seeds) =>
        Gen.Select(Gen.OneOf(seeds), Gen.Select(Gen.Int[0, 2], Gen.Int[0, 10_000], Gen.OneOf(Fragments)).Array[1, 8])
            .Select((seed, edits) =>
            {
                var text = seed;
                foreach (var (kind, position, fragment) in edits)
                {
                    var at = text.Length == 0 ? 0 : position % (text.Length + 1);
                    text = kind switch
                    {
                        0 => text.Insert(at, fragment),
                        1 => at < text.Length ? text.Remove(at, Math.Min(fragment.Length, text.Length - at)) : text,
                        _ => at < text.Length ? string.Concat(text.AsSpan(0, at), fragment, text.AsSpan(Math.Min(text.Length, at + 1))) : text + fragment,
                    };
                }

                return text;
            });

    public static Gen<string> Inputs(params string[] seeds) =>
        Gen.Frequency((2, Gen.String), (3, YamlShaped), (5, Mutations(seeds)));

    /// <summary>Runs <paramref name="property"/> on generated inputs; any exception it lets out fails with the input that caused it.</summary>
    public static void Check(Action<string> property, string[] seeds, long iterations = 2000) =>
        Inputs(seeds).Sample(property, iter: iterations);

    public static void AssertOnlyExpectedFailures<TError>(Action<string> parse, string[] seeds, long iterations = 2000)
        where TError : Exception =>
        Check(input =>
        {
            try
            {
                parse(input);
            }
            catch (TError ex)
            {
                AssertClearMessage(ex.Message);
            }
        }, seeds, iterations);

    /// <summary>An error a user can read: some text, no stack trace.</summary>
    public static void AssertClearMessage(string? message)
    {
        Assert.False(string.IsNullOrWhiteSpace(message), "an error without a message");
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }
}
