using System.CommandLine;
using Carapace.Host.Configuration;

namespace Carapace.Cli.Commands;

/// <summary>
/// Runs a verb and turns expected failures into a stderr message and an exit code. Anything else is
/// a bug: it is reported in one line too, never as a stack trace.
/// </summary>
internal static class CommandAction
{
    public static void Set(Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken);
            }
            catch (CliException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return ex.ExitCode;
            }
            catch (ConfigurationException ex)
            {
                await Console.Error.WriteLineAsync("configuration error:");
                foreach (var error in ex.Errors)
                {
                    await Console.Error.WriteLineAsync($"  {error}");
                }

                return CliExit.ConfigError;
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                // A section validated by its own options validator at start (e.g. network.*).
                await Console.Error.WriteLineAsync("configuration error:");
                foreach (var failure in ex.Failures)
                {
                    await Console.Error.WriteLineAsync($"  {failure}");
                }

                return CliExit.ConfigError;
            }
            catch (InvalidOperationException ex) when (ex.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"configuration error:{Environment.NewLine}  {ex.Message}");
                return CliExit.ConfigError;
            }
            catch (Carapace.Abstractions.Credentials.CredentialException ex)
            {
                await Console.Error.WriteLineAsync(ex.Hint is null ? $"{ex.Message} ({ex.Code})" : $"{ex.Message} ({ex.Code}){Environment.NewLine}  fix: {ex.Hint}");
                return CliExit.Failure;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return CliExit.Failure;
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"cara: unexpected error: {ex.GetType().Name}: {ex.Message}");
                return CliExit.Failure;
            }
        });
}
