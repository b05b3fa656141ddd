using System.CommandLine;
using Carapace.Plugins.Signing;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara keys generate|public`: publisher signing keys for plugin packages. Local files only; these
/// verbs never contact the gateway.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", "Create and inspect Ed25519 publisher keys for signing plugin packages");
        command.Subcommands.Add(Generate());
        command.Subcommands.Add(Public());
        return command;
    }

    private static Command Generate()
    {
        var output = new Option<string>("--out", "-o") { Description = "Private key file to create (0600); the public key goes to FILE.pub", Required = true };
        var command = new Command("generate", "Create a new signing key pair; never overwrites an existing file") { output };
        CommandAction.Set(command, (parse, _) =>
        {
            var path = parse.GetValue(output)!;
            var publicKey = Run(() => SigningKeyFile.Generate(path));
            Console.WriteLine($"Private key: {Path.GetFullPath(path)} (mode 0600: keep it secret, back it up)");
            Console.WriteLine($"Public key:  {publicKey.Hex}");
            Console.WriteLine($"Saved to:    {Path.GetFullPath(path)}{SigningKeyFile.PublicSuffix}");
            Console.WriteLine("Operators trust it with:");
            Console.WriteLine("  plugins:");
            Console.WriteLine("    signature:");
            Console.WriteLine($"      trustedPublishers: [\"{publicKey.Hex}\"]");
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Public()
    {
        var key = new Argument<string>("keyfile") { Description = "A private key file or its .pub file" };
        var command = new Command("public", "Print the public key (hex) of a key file") { key };
        CommandAction.Set(command, (parse, _) =>
        {
            var path = parse.GetValue(key)!;
            var publicKey = Run(() =>
            {
                if (path.EndsWith(SigningKeyFile.PublicSuffix, StringComparison.Ordinal))
                {
                    return SigningKeyFile.LoadPublic(path);
                }

                using var signingKey = SigningKeyFile.Load(path);
                return signingKey.PublicKey;
            });
            Console.WriteLine(publicKey.Hex);
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    /// <summary>Turns a key error into the one-line message `cara` prints.</summary>
    internal static T Run<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SigningException ex)
        {
            throw new CliException($"{ex.Code}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CliException(ex.Message);
        }
        catch (IOException ex)
        {
            throw new CliException(ex.Message);
        }
    }
}
