using System.Text;
using Carapace.Sandbox.Windows;

namespace Carapace.Sandbox.Tests.Windows;

public sealed class WindowsCommandLineTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "\"\"")]
    [InlineData("two words", "\"two words\"")]
    [InlineData("tab\there", "\"tab\there\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("\"", "\"\\\"\"")]
    [InlineData(@"C:\dir\", @"C:\dir\")] // no space or quote: passed as is, trailing backslash literal
    [InlineData(@"C:\my dir\", "\"C:\\my dir\\\\\"")] // trailing backslash before the closing quote is doubled
    [InlineData(@"a\\b", @"a\\b")] // backslashes not before a quote are literal
    [InlineData("a\\\"b", "\"a\\\\\\\"b\"")] // one backslash then a quote: 2n+1 backslashes, then \"
    [InlineData(@"\\server\share dir\\", "\"\\\\server\\share dir\\\\\\\\\"")]
    [InlineData("new\nline", "\"new\nline\"")]
    public void Arguments_are_quoted_by_the_CommandLineToArgvW_rules(string argument, string expected)
    {
        var sb = new StringBuilder();
        WindowsCommandLine.AppendQuoted(sb, argument);

        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void Every_tricky_argv_survives_the_round_trip()
    {
        string[] argv = ["", " ", "a b", "\"", "\\", "\\\\", "a\\", "a b\\", "a\\\"b", "\\\"", "x\"y\"z", "\t", "trailing\\\\", "\"quoted\"", "ü ñ", "%PATH%", "^&|<>"];

        var line = WindowsCommandLine.Build(@"C:\Program Files\tool.exe", argv);
        var parsed = ParseLikeCommandLineToArgvW(line);

        Assert.Equal([@"C:\Program Files\tool.exe", .. argv], parsed);
    }

    [Fact]
    public void An_executable_with_a_quote_or_an_over_long_command_line_is_refused()
    {
        Assert.Throws<InvalidSandboxRequestException>(() => WindowsCommandLine.Build("C:\\a\"b.exe", []));
        Assert.Throws<InvalidSandboxRequestException>(() => WindowsCommandLine.Build(@"C:\a.exe", [new string('x', WindowsCommandLine.MaxLength)]));
    }

    /// <summary>
    /// An independent parser of the documented rules (CommandLineToArgvW / MSVC "Parsing C++ command-line
    /// arguments"): argv[0] ends at the next quote or whitespace without escapes; afterwards 2n backslashes
    /// before a quote are n backslashes and the quote toggles quoting, 2n+1 are n backslashes and a literal
    /// quote, other backslashes are literal, whitespace outside quotes separates.
    /// </summary>
    private static List<string> ParseLikeCommandLineToArgvW(string line)
    {
        var args = new List<string>();
        var i = 0;
        var first = new StringBuilder();
        if (line[0] == '"')
        {
            i = line.IndexOf('"', 1);
            first.Append(line, 1, i - 1);
            i++;
        }
        else
        {
            while (i < line.Length && line[i] is not (' ' or '\t'))
            {
                first.Append(line[i++]);
            }
        }

        args.Add(first.ToString());
        while (true)
        {
            while (i < line.Length && line[i] is ' ' or '\t')
            {
                i++;
            }

            if (i >= line.Length)
            {
                return args;
            }

            var arg = new StringBuilder();
            var quoted = false;
            while (i < line.Length && (quoted || line[i] is not (' ' or '\t')))
            {
                var backslashes = 0;
                while (i < line.Length && line[i] == '\\')
                {
                    backslashes++;
                    i++;
                }

                if (i < line.Length && line[i] == '"')
                {
                    arg.Append('\\', backslashes / 2);
                    if (backslashes % 2 == 1)
                    {
                        arg.Append('"');
                    }
                    else
                    {
                        quoted = !quoted;
                    }

                    i++;
                }
                else
                {
                    arg.Append('\\', backslashes);
                    if (i < line.Length && (quoted || line[i] is not (' ' or '\t')))
                    {
                        arg.Append(line[i++]);
                    }
                }
            }

            args.Add(arg.ToString());
        }
    }
}
