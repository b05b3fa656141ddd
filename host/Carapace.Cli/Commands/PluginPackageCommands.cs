using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Cli.Output;
using Carapace.Host.Configuration;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Vetting;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara plugins pack|sign|verify`: local package verbs for publishers and operators. They read and
/// write files only and never contact the gateway; install/update/uninstall are control-API verbs.
/// </summary>
internal static class PluginPackageCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>A `plugins` command holding the local verbs (attach more with <see cref="AddTo"/>).</summary>
    public static Command Create()
    {
        var command = new Command("plugins", "Manage plugins");
        AddTo(command);
        return command;
    }

    /// <summary>Adds pack, sign and verify to an existing `plugins` command.</summary>
    public static void AddTo(Command plugins)
    {
        plugins.Subcommands.Add(Pack());
        plugins.Subcommands.Add(Sign());
        plugins.Subcommands.Add(Verify());
    }

    private static Command Pack()
    {
        var directory = new Argument<string>("dir") { Description = "Plugin directory: plugin.yaml plus the `dotnet publish` output" };
        var output = new Option<string>("--output", "-o") { Description = "Package file to write (.zip)", Required = true };
        var signKey = new Option<string?>("--sign-key") { Description = "Private key file to sign the package with" };
        var command = new Command("pack", "Build a deterministic plugin package (.zip), optionally signed") { directory, output, signKey };
        CommandAction.Set(command, (parse, _) =>
        {
            var keyPath = parse.GetValue(signKey);
            var result = Run(() =>
            {
                using var key = keyPath is null ? null : SigningKeyFile.Load(keyPath);
                return PackageSigner.Pack(parse.GetValue(directory)!, parse.GetValue(output)!, key);
            });
            PrintPacked("Packed", result);
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Sign()
    {
        var package = new Argument<string>("package") { Description = "Package file (.zip) or directory to sign in place" };
        var keyFile = new Option<string>("--key") { Description = "Private key file", Required = true };
        var command = new Command("sign", "Sign a plugin package (writes plugin.sig; the content digest does not change)") { package, keyFile };
        CommandAction.Set(command, (parse, _) =>
        {
            var path = parse.GetValue(package)!;
            if (Directory.Exists(path))
            {
                var signature = Run(() =>
                {
                    using var key = SigningKeyFile.Load(parse.GetValue(keyFile)!);
                    return PackageSigner.SignDirectory(path, key);
                });
                Console.WriteLine($"Signed {Path.GetFullPath(path)}");
                Console.WriteLine($"  sha256:    {signature.Digest.Hex}");
                Console.WriteLine($"  publisher: {signature.Publisher.Hex}");
                return Task.FromResult(CliExit.Ok);
            }

            var result = Run(() =>
            {
                using var key = SigningKeyFile.Load(parse.GetValue(keyFile)!);
                return PackageSigner.SignArchive(path, key);
            });
            PrintPacked("Signed", result);
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }

    private static Command Verify()
    {
        var package = new Argument<string>("package") { Description = "Package file (.zip) or directory" };
        var config = new Option<string?>("--config") { Description = "Configuration file with plugins.signature.* (default: the one `cara start` would use)" };
        var allowUnsigned = new Option<bool>("--allow-unsigned") { Description = "Judge the signature as `install --allow-unsigned` would" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("verify",
            "Check a package as install would (limits, paths, digest, signature policy, IL vetting) without installing it; exit 1 if install would refuse it")
        { package, config, allowUnsigned, json };
        CommandAction.Set(command, (parse, _) =>
        {
            var loaded = CarapaceConfigLoader.Load(ConfigLocator.Locate(parse.GetValue(config), Environment.GetEnvironmentVariable), Environment.GetEnvironmentVariable);
            SignaturePolicy policy;
            try
            {
                policy = SignaturePolicy.FromConfiguration(loaded.Configuration);
            }
            catch (SignaturePolicyException ex)
            {
                throw new CliException(ex.Message, CliExit.ConfigError);
            }

            var scratch = Path.Combine(Path.GetTempPath(), "carapace-verify-" + Guid.NewGuid().ToString("N"));
            try
            {
                var (staged, signature, vetting) = Run(() =>
                {
                    var staged = PackageReader.Stage(parse.GetValue(package)!, scratch);
                    var signature = SignatureVerifier.Verify(staged.Directory, policy, parse.GetValue(allowUnsigned));
                    return (staged, signature, PluginVetter.Vet(staged.Directory));
                });
                var acceptable = signature.IsAccepted && vetting.IsClean;
                if (parse.GetValue(json))
                {
                    Console.WriteLine(VerifyJson(staged, signature, vetting, acceptable).ToJsonString(Indented));
                }
                else
                {
                    PrintVerify(staged, signature, vetting, acceptable);
                }

                return Task.FromResult(acceptable ? CliExit.Ok : CliExit.Failure);
            }
            finally
            {
                if (Directory.Exists(scratch))
                {
                    Directory.Delete(scratch, recursive: true);
                }
            }
        });
        return command;
    }

    private static void PrintPacked(string verb, PackResult result)
    {
        Console.WriteLine($"{verb} {result.ArchivePath}: {result.FileCount} files, {result.ArchiveBytes} bytes");
        Console.WriteLine($"  sha256:    {result.Digest.Hex}");
        Console.WriteLine($"  publisher: {result.Signature?.Publisher.Hex ?? "(unsigned)"}");
    }

    private static void PrintVerify(StagedPackage staged, SignatureVerification signature, VettingReport vetting, bool acceptable)
    {
        Console.WriteLine($"Package:   {staged.Files.Count} files, {staged.TotalBytes} bytes");
        Console.WriteLine($"sha256:    {staged.Digest.Hex}");
        Console.WriteLine($"Signature: {signature.State.ToString().ToLowerInvariant()}{(signature.Code is null ? "" : $" ({signature.Code})")}: {signature.Message}");
        Console.WriteLine($"Vetting:   {(vetting.IsClean ? "no findings" : $"{vetting.Findings.Count} finding(s){(vetting.Truncated ? " (truncated)" : "")}")} in {vetting.ScannedAssemblies.Count} assemblies");
        foreach (var finding in vetting.Findings)
        {
            Console.WriteLine($"  {finding.Code}: {Terminal.Safe(finding.Message)}");
        }

        Console.WriteLine(acceptable
            ? "Result:    install would accept this package"
            : $"Result:    install would refuse this package{(vetting.IsClean ? "" : " (unless --allow-unvetted)")}");
    }

    private static JsonObject VerifyJson(StagedPackage staged, SignatureVerification signature, VettingReport vetting, bool acceptable) => new()
    {
        ["acceptable"] = acceptable,
        ["sha256"] = staged.Digest.Hex,
        ["files"] = staged.Files.Count,
        ["bytes"] = staged.TotalBytes,
        ["signature"] = new JsonObject
        {
            ["state"] = signature.State.ToString().ToLowerInvariant(),
            ["code"] = signature.Code,
            ["publisher"] = signature.Publisher?.Hex,
            ["message"] = signature.Message,
        },
        ["vetting"] = new JsonObject
        {
            ["clean"] = vetting.IsClean,
            ["truncated"] = vetting.Truncated,
            ["scannedAssemblies"] = new JsonArray([.. vetting.ScannedAssemblies.Select(a => (JsonNode?)JsonValue.Create(a))]),
            ["findings"] = new JsonArray([.. vetting.Findings.Select(f => (JsonNode?)new JsonObject
            {
                ["code"] = f.Code,
                ["file"] = f.File,
                ["type"] = f.Type,
                ["method"] = f.Method,
                ["api"] = f.Api,
                ["message"] = f.Message,
            })]),
        },
    };

    private static T Run<T>(Func<T> action)
    {
        try
        {
            return KeysCommand.Run(action);
        }
        catch (PackageException ex)
        {
            throw new CliException($"{ex.Code}: {ex.Message}");
        }
    }
}
