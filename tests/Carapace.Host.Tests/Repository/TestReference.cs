using System.Text.RegularExpressions;

namespace Carapace.Host.Tests.Repository;

/// <summary>
/// Checks one <c>path/File.cs::Method</c> reference from feature-status.yaml: the method is declared on a
/// live (not commented-out) line, directly under a [Fact]/[Theory]-style attribute, and — when the feature
/// claims <c>verified</c> — that attribute does not skip it.
/// </summary>
internal static partial class TestReference
{
    /// <returns>The problem, or null when the reference is good.</returns>
    public static string? Check(string root, string feature, string reference, bool mustRun)
    {
        var parts = reference.Split("::");
        if (parts.Length != 2)
        {
            return $"{feature}: '{reference}' is not 'path/File.cs::Method'";
        }

        var path = Path.Combine(root, parts[0]);
        if (!File.Exists(path))
        {
            return $"{feature}: test file {parts[0]} does not exist";
        }

        var lines = LiveLines(File.ReadAllLines(path));
        var declaration = new Regex(@"\b(Task|void)\s+" + Regex.Escape(parts[1]) + @"\s*\(");
        for (var i = 0; i < lines.Length; i++)
        {
            if (!declaration.IsMatch(lines[i]))
            {
                continue;
            }

            // Walk up through the attribute block (one attribute per line; comments and blank lines allowed).
            for (var j = i - 1; j >= 0; j--)
            {
                var above = lines[j].Trim();
                if (TestAttribute().IsMatch(above))
                {
                    return mustRun && SkipArgument().IsMatch(above)
                        ? $"{feature}: {parts[1]} in {parts[0]} is skipped ({above}); a verified feature needs tests that run"
                        : null;
                }

                if (!(above.StartsWith('[') || above.Length == 0))
                {
                    break;
                }
            }
        }

        return $"{feature}: no [Fact]/[Theory] named {parts[1]} in {parts[0]}";
    }

    // The file's lines with comments and the contents of string and char literals blanked (newlines
    // kept), so a commented-out test, or test-like text inside a string, neither declares a test nor
    // interrupts an attribute block. A small C# lexer: regular, verbatim, raw and char literals.
    private static string[] LiveLines(string[] lines)
    {
        var text = string.Join('\n', lines).ToCharArray();
        var i = 0;
        while (i < text.Length)
        {
            if (Starts(text, i, "//"))
            {
                while (i < text.Length && text[i] != '\n')
                {
                    text[i++] = ' ';
                }
            }
            else if (Starts(text, i, "/*"))
            {
                var end = IndexOf(text, "*/", i + 2);
                i = Blank(text, i, end < 0 ? text.Length : end + 2);
            }
            else if (Starts(text, i, "\"\"\""))
            {
                var quotes = 0;
                while (i + quotes < text.Length && text[i + quotes] == '"')
                {
                    quotes++;
                }

                var end = IndexOf(text, new string('"', quotes), i + quotes);
                i = Blank(text, i + quotes, end < 0 ? text.Length : end) + quotes;
            }
            else if (Starts(text, i, "@\"") || Starts(text, i, "$@\"") || Starts(text, i, "@$\""))
            {
                var j = Array.IndexOf(text, '"', i) + 1;
                while (j < text.Length && !(text[j] == '"' && (j + 1 >= text.Length || text[j + 1] != '"')))
                {
                    j += text[j] == '"' ? 2 : 1;
                }

                i = Blank(text, Array.IndexOf(text, '"', i) + 1, j) + 1;
            }
            else if (text[i] is '"' or '\'')
            {
                var quote = text[i];
                var j = i + 1;
                while (j < text.Length && text[j] != quote && text[j] != '\n')
                {
                    j += text[j] == '\\' ? 2 : 1;
                }

                i = Blank(text, i + 1, Math.Min(j, text.Length)) + 1;
            }
            else
            {
                i++;
            }
        }

        return new string(text).Split('\n');
    }

    private static bool Starts(char[] text, int at, string token) =>
        at + token.Length <= text.Length && new ReadOnlySpan<char>(text, at, token.Length).SequenceEqual(token);

    private static int IndexOf(char[] text, string token, int from) =>
        from >= text.Length ? -1 : new string(text, from, text.Length - from).IndexOf(token, StringComparison.Ordinal) is var k and >= 0 ? from + k : -1;

    // Blanks [from, to) except newlines; returns `to`.
    private static int Blank(char[] text, int from, int to)
    {
        for (var k = from; k < to && k < text.Length; k++)
        {
            if (text[k] != '\n')
            {
                text[k] = ' ';
            }
        }

        return to;
    }

    [GeneratedRegex(@"^\[(Fact|Theory|\w+Fact|\w+Theory)\b")]
    private static partial Regex TestAttribute();

    [GeneratedRegex(@"\bSkip\s*=")]
    private static partial Regex SkipArgument();
}
