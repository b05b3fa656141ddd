using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Protocol;
using Carapace.Protocol.Plugins;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara plugins install|update|uninstall|doctor`: clients of the control API; the gateway does the
/// work. A package on this machine is sent as its path when the gateway is on loopback (it reads the
/// file itself), otherwise uploaded (a directory is packed into a temporary archive first).
/// </summary>
internal static class PluginInstallCommands
{
    private const string PathRequiresLoopback = "install_path_requires_loopback";

    public static void AddTo(Command plugins)
    {
        plugins.Subcommands.Add(Install("install", "Install a plugin package (.zip or directory): verified, vetted, atomic, active without a restart"));
        plugins.Subcommands.Add(Install("update", "Update an installed plugin from a package: verified like install, then hot-swapped; a failure keeps the old version"));
        plugins.Subcommands.Add(Uninstall());
        plugins.Subcommands.Add(Doctor());
    }

    private static Command Install(string verb, string description)
    {
        var client = new ClientOptions();
        var package = new Argument<string>("package") { Description = "Package: a .zip, or a directory with plugin.yaml and the publish output" };
        var link = new Option<bool>("--link") { Description = "Register the directory in place (development) instead of copying it; the gateway must be on this machine" };
        var allowUnsigned = new Option<bool>("--allow-unsigned") { Description = "Accept an unsigned or untrusted package (only where plugins.signature.requireSignature is false)" };
        var allowUnvetted = new Option<bool>("--allow-unvetted") { Description = "Accept a package with vetting findings (recorded in the lock file and shown in status)" };
        var yes = new Option<bool>("--yes") { Description = "Replace an installed version with a package of the same version but other content" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command(verb, description) { package, link, allowUnsigned, allowUnvetted, yes, json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(package)!);
            try
            {
                // lstat before anything opens it: uploading a FIFO or /dev/zero would block or never end.
                PackageSourceCheck.Classify(path, path);
            }
            catch (PackageException ex)
            {
                throw new CliException($"{ex.Code}: {Terminal.Safe(ex.Message)}");
            }

            var flags = new PluginInstallRequest(path, parse.GetValue(link), parse.GetValue(allowUnsigned), parse.GetValue(allowUnvetted), parse.GetValue(yes));
            var endpoint = $"control/plugins/{verb}";
            var what = $"{char.ToUpperInvariant(verb[0])}{verb[1..]} {Terminal.Safe(path)}";
            using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromMinutes(5));
            GatewayResponse? response = null;
            if (gateway.Target.IsLoopback)
            {
                response = await gateway.SendAsync(HttpMethod.Post, endpoint,
                    JsonContent(flags), authenticated: true, ct);
            }

            if (response is null || (response.Status == HttpStatusCode.Forbidden && ProblemCode(response) == PathRequiresLoopback))
            {
                if (flags.Link)
                {
                    throw new CliException($"{what}: --link needs the gateway on this machine (connect to it on a loopback address)");
                }

                response = await UploadAsync(gateway, endpoint, flags, ct);
            }

            if (!response.IsSuccess)
            {
                PrintFindings(response);
                throw response.ToError(what);
            }

            var result = response.Read(ProtocolJson.Default.PluginInstallResponse);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, ProtocolJson.Default.PluginInstallResponse));
            }
            else
            {
                PrintInstalled(result);
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static Command Uninstall()
    {
        var client = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Plugin id" };
        var keepFiles = new Option<bool>("--keep-files") { Description = "Move the installed files to <state>/plugins/.uninstalled/ instead of deleting them" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would happen; change nothing" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("uninstall", "Unload a managed plugin (verified) and remove its files and lock entry") { id, keepFiles, dryRun, json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            var pluginId = parse.GetValue(id)!;
            using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromMinutes(2));
            var query = $"keepFiles={(parse.GetValue(keepFiles) ? "true" : "false")}&dryRun={(parse.GetValue(dryRun) ? "true" : "false")}";
            var response = await gateway.SendAsync(HttpMethod.Delete, $"control/plugins/{Uri.EscapeDataString(pluginId)}?{query}", null, authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError($"Uninstall {Terminal.Safe(pluginId)}");
            }

            var result = response.Read(ProtocolJson.Default.PluginUninstallResponse);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, ProtocolJson.Default.PluginUninstallResponse));
                return CliExit.Ok;
            }

            Console.WriteLine(Terminal.Safe(result.Message));
            if (result.KeptDirectory is not null && !result.DryRun)
            {
                Console.WriteLine($"  files kept in {Terminal.Safe(result.KeptDirectory)}");
            }

            if (result.Plugin is { } plugin && !result.DryRun)
            {
                Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"  {plugin.State}{(plugin.UnloadMs is { } ms ? $" in {ms:0.#} ms (verified)" : string.Empty)}"));
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static Command Doctor()
    {
        var client = new ClientOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("doctor",
            "Check every plugin now: signature state, vetting findings, lock/sha mismatches, ABI, failed or leaked state. " +
            $"Exit codes: {CliExit.Ok} healthy; {CliExit.Failure} the check ran and found a problem; " +
            $"{CliExit.CheckUnavailable} the check could not run (gateway unreachable, unauthorized, unreadable answer)")
        { json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            PluginDoctorResponse report;
            try
            {
                using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromMinutes(2));
                var response = await gateway.GetAsync("control/doctor/plugins", authenticated: true, ct);
                if (!response.IsSuccess)
                {
                    throw response.ToError("Plugin doctor");
                }

                report = response.Read(ProtocolJson.Default.PluginDoctorResponse);
            }
            catch (CliException ex)
            {
                // Scripts must tell "no verdict" from "unhealthy": a distinct exit code.
                throw new CliException($"{ex.Message} (the plugin doctor did not run)", CliExit.CheckUnavailable);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, ProtocolJson.Default.PluginDoctorResponse));
            }
            else
            {
                PrintDoctor(report);
            }

            return report.Healthy ? CliExit.Ok : CliExit.Failure;
        });
        return command;
    }

    private static async Task<GatewayResponse> UploadAsync(GatewayClient gateway, string endpoint, PluginInstallRequest flags, CancellationToken ct)
    {
        var path = flags.Path!;
        string? packed = null;
        try
        {
            if (Directory.Exists(path))
            {
                // The gateway cannot read this machine's directory: send it as a package (the same reader checks it there).
                packed = Path.Combine(Path.GetTempPath(), $"carapace-upload-{Guid.NewGuid():N}.zip");
                try
                {
                    PackageSigner.Pack(path, packed);
                }
                catch (PackageException ex)
                {
                    throw new CliException($"{ex.Code}: {ex.Message}");
                }
            }

            await using var file = File.OpenRead(packed ?? path);
            using var form = new MultipartFormDataContent
            {
                { Flag(flags.AllowUnsigned), "allowUnsigned" },
                { Flag(flags.AllowUnvetted), "allowUnvetted" },
                { Flag(flags.Yes), "yes" },
            };
            var part = new StreamContent(file);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            form.Add(part, "package", Path.GetFileName(packed is null ? path : Path.TrimEndingDirectorySeparator(path) + ".zip"));
            return await gateway.SendAsync(HttpMethod.Post, endpoint, form, authenticated: true, ct);
        }
        finally
        {
            if (packed is not null)
            {
                File.Delete(packed);
            }
        }
    }

    private static StringContent Flag(bool value) => new(value ? "true" : "false");

    private static StringContent JsonContent(PluginInstallRequest request) =>
        new(JsonSerializer.Serialize(request, ProtocolJson.Default.PluginInstallRequest), Encoding.UTF8, "application/json");

    private static void PrintInstalled(PluginInstallResponse result)
    {
        Console.WriteLine(Terminal.Safe(result.Message));
        Console.WriteLine($"  sha256:    {result.Sha256}");
        Console.WriteLine($"  signature: {result.Signature ?? "unchanged"}{(result.Publisher is null ? string.Empty : $" (publisher {result.Publisher})")}");
        Console.WriteLine(result.FindingCount == 0
            ? "  vetting:   no findings"
            : $"  vetting:   {result.FindingCount} finding(s) accepted with --allow-unvetted");
        foreach (var finding in result.Findings.Take(20))
        {
            Console.WriteLine($"    {finding.Code}: {Terminal.Safe(finding.Message)}");
        }

        if (result.Plugin is { } plugin)
        {
            Console.WriteLine($"  state:     {plugin.State}{(plugin.Reason is null ? string.Empty : $" ({Terminal.Safe(plugin.Reason)})")}");
        }
    }

    private static void PrintDoctor(PluginDoctorResponse report)
    {
        foreach (var finding in report.General)
        {
            Console.WriteLine($"{finding.Severity}: {finding.Code}: {Terminal.Safe(finding.Message)}");
        }

        foreach (var plugin in report.Plugins)
        {
            var signature = plugin.Signature is null ? string.Empty : $" signature {plugin.Signature}";
            var vetting = plugin.Source is "managed" or "linked" ? $", {plugin.FindingCount} finding(s){(plugin.AllowUnvetted ? " (--allow-unvetted)" : string.Empty)}" : string.Empty;
            Console.WriteLine($"{(plugin.Healthy ? "ok     " : "PROBLEM")} {plugin.Id,-20} {plugin.Source,-8} {plugin.State,-9} {plugin.Version ?? "-"}{signature}{vetting}");
            foreach (var finding in plugin.Findings)
            {
                Console.WriteLine($"    {finding.Severity}: {finding.Code}: {Terminal.Safe(finding.Message)}");
            }
        }

        Console.WriteLine(report.Healthy ? "Healthy." : "Problems found.");
    }

    /// <summary>Vetting refusals list the findings (file, type, method, API) before the one-line error.</summary>
    private static void PrintFindings(GatewayResponse response)
    {
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("findings", out var findings)
                && findings.ValueKind == JsonValueKind.Array)
            {
                foreach (var finding in findings.EnumerateArray().Take(50))
                {
                    var code = finding.TryGetProperty("code", out var c) ? c.GetString() : null;
                    var message = finding.TryGetProperty("message", out var m) ? m.GetString() : null;
                    Console.Error.WriteLine($"  {Terminal.Safe(code)}: {Terminal.Safe(message)}");
                }
            }
        }
        catch (JsonException)
        {
        }
    }

    private static string? ProblemCode(GatewayResponse response)
    {
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
