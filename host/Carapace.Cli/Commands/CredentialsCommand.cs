using System.CommandLine;
using System.Text.Json;
using Carapace.Abstractions.Credentials;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Host.Credentials;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara credentials list|set|get --reveal|delete`: the local credential store (OS keychain, or the
/// encrypted file with CARAPACE_CONFIG_PASSWORD). Local on purpose: the gateway token itself lives
/// here, and the control API never returns values.
/// </summary>
internal static class CredentialsCommand
{
    public static Command Create()
    {
        var command = new Command("credentials", "Manage secrets in the local credential store");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Get());
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Option<string?> ConfigOption() => new("--config") { Description = "Configuration file (credentials.* section)" };

    private static Argument<string> KeyArgument() => new("key") { Description = "kind:scope:id, e.g. gateway:token:default" };

    private static Command List()
    {
        var config = ConfigOption();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List stored credentials (names and metadata, never values)") { config, json };
        Run(command, config, async (store, parse, ct) =>
        {
            var status = await store.GetStatusAsync(ct);
            var entries = await store.ListAsync(ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { backend = status.Backend, writable = status.Writable, credentials = entries },
                    JsonSerializerOptions.Web));
                return CliExit.Ok;
            }

            Console.WriteLine($"Backend: {status.Backend}{(status.Writable ? string.Empty : " (read-only)")}");
            foreach (var entry in entries)
            {
                Console.WriteLine($"  {entry.Key}  {entry.UpdatedAt:u}{(entry.OwnerPlugin is null ? string.Empty : $"  plugin {entry.OwnerPlugin}")}");
            }

            if (entries.Count == 0)
            {
                Console.WriteLine("  (none)");
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static Command Set()
    {
        var config = ConfigOption();
        var key = KeyArgument();
        var command = new Command("set", "Store a secret read from stdin (never from the command line)") { key, config };
        Run(command, config, async (store, parse, ct) =>
        {
            var parsed = ParseKey(parse.GetValue(key)!);
            var value = await SecretInput.ReadAsync($"Value for {parsed}: ", ct);
            await store.SetAsync(parsed, value, ct);
            Console.WriteLine($"Stored {parsed}");
            return CliExit.Ok;
        });
        return command;
    }

    private static Command Get()
    {
        var config = ConfigOption();
        var key = KeyArgument();
        var reveal = new Option<bool>("--reveal") { Description = "Print the secret value (otherwise only whether it exists)" };
        var command = new Command("get", "Show whether a secret exists; --reveal prints it") { key, reveal, config };
        Run(command, config, async (store, parse, ct) =>
        {
            var parsed = ParseKey(parse.GetValue(key)!);
            var value = await store.GetAsync(parsed, ct) ?? throw new CliException($"No credential {parsed}");
            Console.WriteLine(parse.GetValue(reveal) ? value : $"{parsed} is set ({value.Length} characters; --reveal to print it)");
            return CliExit.Ok;
        });
        return command;
    }

    private static Command Delete()
    {
        var config = ConfigOption();
        var key = KeyArgument();
        var command = new Command("delete", "Delete a secret") { key, config };
        Run(command, config, async (store, parse, ct) =>
        {
            var parsed = ParseKey(parse.GetValue(key)!);
            if (!await store.DeleteAsync(parsed, ct))
            {
                throw new CliException($"No credential {parsed}");
            }

            Console.WriteLine($"Deleted {parsed}");
            return CliExit.Ok;
        });
        return command;
    }

    private static CredentialKey ParseKey(string text) =>
        CredentialKey.TryParse(text, out var key, out var error) ? key : throw new CliException($"Invalid key '{Terminal.Safe(text)}': {error}");

    private static void Run(Command command, Option<string?> config,
        Func<ICredentialStore, System.CommandLine.ParseResult, CancellationToken, Task<int>> action) =>
        CommandAction.Set(command, async (parse, ct) =>
        {
            await using var services = LocalServices.Open(parse.GetValue(config));
            try
            {
                return await action(services.Get<ICredentialStore>(), parse, ct);
            }
            catch (CredentialException ex)
            {
                throw new CliException(ex.Hint is null ? $"{ex.Message} ({ex.Code})" : $"{ex.Message} ({ex.Code}); {ex.Hint}");
            }
        });
}
