using System.Text;

namespace Carapace.Cli.Client;

/// <summary>
/// Reads a secret: from a terminal without echo, otherwise all of stdin (one trailing newline
/// dropped). Secrets never come from argv, which every user can read in the process list.
/// </summary>
internal static class SecretInput
{
    public static async Task<string> ReadAsync(string prompt, CancellationToken cancellationToken)
    {
        string value;
        if (!Console.IsInputRedirected)
        {
            await Console.Error.WriteAsync(prompt);
            var builder = new StringBuilder();
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (builder.Length > 0)
                    {
                        builder.Length--;
                    }

                    continue;
                }

                builder.Append(key.KeyChar);
            }

            await Console.Error.WriteLineAsync();
            value = builder.ToString();
        }
        else
        {
            value = await Console.In.ReadToEndAsync(cancellationToken);
            if (value.EndsWith('\n'))
            {
                value = value[..^(value.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : 1)];
            }
        }

        return value.Length == 0 ? throw new CliException("Refusing to store an empty value") : value;
    }
}
