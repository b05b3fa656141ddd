using System.Text;

namespace Carapace.Cli.Output;

/// <summary>
/// Text that reaches the terminal. Server-supplied strings (log messages, plugin errors) could carry
/// escape sequences that rewrite the screen, so control characters other than tab are replaced.
/// </summary>
internal static class Terminal
{
    public static string Safe(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) && c != '\t' ? '?' : c);
        }

        return builder.ToString();
    }

    public static string Duration(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h {span.Minutes}m"
            : span.TotalHours >= 1 ? $"{span.Hours}h {span.Minutes}m {span.Seconds}s"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m {span.Seconds}s"
            : $"{span.Seconds}s";
    }
}
