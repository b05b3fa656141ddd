using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Host.Audit;
using Carapace.Host.Configuration;
using Carapace.Storage;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara config path|show|get|validate`: local inspection of the configuration the gateway would
/// load, with secrets redacted. These verbs read files only; they never contact the gateway.
/// </summary>
internal static class ConfigCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("config", "Inspect and validate the configuration");
        command.Subcommands.Add(Path());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Get());
        command.Subcommands.Add(Validate());
        command.Subcommands.Add(Encrypt());
        return command;
    }

    private static Option<string?> ConfigOption() => new("--config") { Description = "Configuration file (default: the one `cara start` would use)" };

    private static Command Path()
    {
        var config = ConfigOption();
        var command = new Command("path", "Print the configuration file `cara start` would use") { config };
        CommandAction.Set(command, (parse, _) =>
        {
            var location = ConfigLocator.Locate(parse.GetValue(config), Environment.GetEnvironmentVariable);
            Console.WriteLine(location.Path);
            if (!File.Exists(location.Path))
            {
                Console.Error.WriteLine(location.Explicit
                    ? $"(not found; named by {location.Reason})"
                    : "(not found; built-in defaults apply)");
            }

            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Show()
    {
        var config = ConfigOption();
        var command = new Command("show", "Print the effective configuration (secrets redacted)") { config };
        CommandAction.Set(command, (parse, _) =>
        {
            var loaded = Load(parse.GetValue(config));
            Console.WriteLine(ConfigTree.Build(loaded).ToJsonString(Indented));
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Get()
    {
        var key = new Argument<string>("key") { Description = "Dotted key, e.g. gateway.port" };
        var config = ConfigOption();
        var command = new Command("get", "Print one configuration value (secrets redacted)") { key, config };
        CommandAction.Set(command, (parse, _) =>
        {
            var loaded = Load(parse.GetValue(config));
            var dotted = parse.GetValue(key)!;
            JsonNode? node = ConfigTree.Build(loaded);
            foreach (var segment in dotted.Split('.'))
            {
                node = node switch
                {
                    JsonObject obj => obj.FirstOrDefault(kv => string.Equals(kv.Key, segment, StringComparison.OrdinalIgnoreCase)).Value,
                    JsonArray array when int.TryParse(segment, out var i) && i >= 0 && i < array.Count => array[i],
                    _ => null,
                };
                if (node is null)
                {
                    throw new CliException($"Key not found: {dotted}");
                }
            }

            Console.WriteLine(node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node.ToJsonString(Indented));
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Validate()
    {
        var file = new Argument<string?>("file") { Description = "File to validate (default: the one `cara start` would use)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("validate", "Check a configuration file without starting anything") { file };
        CommandAction.Set(command, (parse, _) =>
        {
            var loaded = Load(parse.GetValue(file), decryptSecrets: true);
            var errors = ConfigValidation.Validate(loaded);
            if (errors.Count > 0)
            {
                throw new ConfigurationException(errors);
            }

            Console.WriteLine($"OK: {loaded.SourceDescription} is valid");
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Encrypt()
    {
        var key = new Argument<string>("key") { Description = "Dotted key whose plaintext value to seal, e.g. gateway.auth.token" };
        var config = ConfigOption();
        var command = new Command("encrypt", "Seal a plaintext value in the configuration file as enc:v2 (needs CARAPACE_CONFIG_PASSWORD)") { key, config };
        CommandAction.Set(command, async (parse, _) =>
        {
            var password = Carapace.Host.Secrets.ConfigSecretDecryptor.PasswordFromEnvironment()
                ?? throw new CliException("Set CARAPACE_CONFIG_PASSWORD to the password that will decrypt the configuration at start.");
            var location = ConfigLocator.Locate(parse.GetValue(config), Environment.GetEnvironmentVariable);
            if (!File.Exists(location.Path))
            {
                throw new CliException($"No configuration file at {location.Path}");
            }

            var dotted = parse.GetValue(key)!;
            // The change is audited in the state directory; make sure it exists before anything changes.
            var state = StateDirectory.Resolve(Environment.GetEnvironmentVariable);
            state.EnsureCreated();
            var outcome = ConfigSecretSealer.Seal(location.Path, dotted, password);
            if (outcome == SealOutcome.AlreadySealed)
            {
                Console.WriteLine($"{dotted} is already sealed");
                return CliExit.Ok;
            }

            Console.WriteLine($"Sealed {dotted} in {location.Path}");
            if (!await ConfigChangeAudit.WriteSealedAsync(state, location.Path, dotted))
            {
                throw new CliException($"Sealed {dotted}, but the config_changed event could not be written to {state.AuditLogPath}.");
            }

            return CliExit.Ok;
        });
        return command;
    }

    // show/get print secrets redacted, so they need not (and without the password cannot) open enc:v2 values.
    private static LoadedConfiguration Load(string? path, bool decryptSecrets = false) =>
        CarapaceConfigLoader.Load(ConfigLocator.Locate(path, Environment.GetEnvironmentVariable), Environment.GetEnvironmentVariable, decryptSecrets);
}
