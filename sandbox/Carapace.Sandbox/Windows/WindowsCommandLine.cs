using System.Text;

namespace Carapace.Sandbox.Windows;

/// <summary>
/// Builds a CreateProcessW command line that CommandLineToArgvW (and the MSVC runtime) split back into
/// exactly the given argv. Hand-written because the BCL only does this inside Process.Start, which cannot
/// take a proc-thread attribute list.
/// </summary>
internal static class WindowsCommandLine
{
    /// <summary>CreateProcessW's limit, terminating NUL included.</summary>
    public const int MaxLength = 32767;

    public static string Build(string executable, IReadOnlyList<string> arguments)
    {
        if (executable.Contains('"', StringComparison.Ordinal))
        {
            throw new InvalidSandboxRequestException($"executable '{executable}' contains a quote");
        }

        // argv[0] is split by different rules (no backslash escapes), so it is quoted plainly.
        var sb = new StringBuilder().Append('"').Append(executable).Append('"');
        foreach (var argument in arguments)
        {
            sb.Append(' ');
            AppendQuoted(sb, argument);
        }

        if (sb.Length >= MaxLength)
        {
            throw new InvalidSandboxRequestException($"the command line is {sb.Length} characters; Windows allows {MaxLength - 1}");
        }

        return sb.ToString();
    }

    /// <summary>
    /// Quotes one argument: backslashes are literal unless they precede a quote, so a run of n backslashes
    /// before a quote (or before the closing quote) is doubled, and the quote itself escaped.
    /// </summary>
    public static void AppendQuoted(StringBuilder sb, string argument)
    {
        if (argument.Length > 0 && argument.AsSpan().IndexOfAny(" \t\n\v\"") < 0)
        {
            sb.Append(argument);
            return;
        }

        sb.Append('"');
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            if (c == '"')
            {
                sb.Append('\\', (backslashes * 2) + 1).Append('"');
            }
            else
            {
                sb.Append('\\', backslashes).Append(c);
            }

            backslashes = 0;
        }

        sb.Append('\\', backslashes * 2).Append('"');
    }
}
