using System.CommandLine;
using System.Globalization;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Protocol;
using Carapace.Protocol.Plugins;

namespace Carapace.Cli.Commands;

/// <summary>`cara plugins list|status|enable|disable|reload`: the running gateway's plugins.</summary>
internal static class PluginRuntimeCommands
{
    public static void AddTo(Command plugins)
    {
        plugins.Subcommands.Add(Status("list", "List plugins and their state"));
        plugins.Subcommands.Add(Status("status", "Show plugins in detail; --strict exits 1 if any plugin is not active"));
        plugins.Subcommands.Add(Operation("enable", "Load and activate a plugin"));
        plugins.Subcommands.Add(Operation("disable", "Stop and unload a plugin (the unload is verified)"));
        plugins.Subcommands.Add(Operation("reload", "Swap a plugin for a fresh load of its files; calls in flight finish on the old one"));
    }

    private static Command Status(string name, string description)
    {
        var client = new ClientOptions();
        var id = new Argument<string?>("id") { Description = "Only this plugin", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var strict = new Option<bool>("--strict") { Description = "Exit 1 if any plugin failed to activate (activationErrorCount > 0, whatever the ID), any listed plugin is not active, or none is listed; stderr says which and why" };
        var command = new Command(name, description) { id, json, strict };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            using var gateway = new GatewayClient(client.Resolve(parse));
            var response = await gateway.GetAsync("control/plugins", authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError("Listing plugins failed");
            }

            var all = response.Read(ProtocolJson.Default.PluginsResponse);
            var wanted = parse.GetValue(id);
            var plugins = all.Plugins.Where(p => wanted is null || p.Id == wanted).ToList();
            if (wanted is not null && plugins.Count == 0)
            {
                throw new CliException($"No plugin '{Terminal.Safe(wanted)}'");
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(all with { Plugins = plugins }, ProtocolJson.Default.PluginsResponse));
            }
            else
            {
                Print(all, plugins, detailed: name == "status" || wanted is not null);
            }

            return parse.GetValue(strict) ? await StrictAsync(all, plugins) : CliExit.Ok;
        });
        return command;
    }

    private static Command Operation(string verb, string description)
    {
        var client = new ClientOptions();
        var id = new Argument<string>("id") { Description = "Plugin id" };
        var command = new Command(verb, description) { id };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromMinutes(2));
            var pluginId = parse.GetValue(id)!;
            var response = await gateway.SendAsync(HttpMethod.Post, $"control/plugins/{Uri.EscapeDataString(pluginId)}/{verb}", null, authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError($"{char.ToUpperInvariant(verb[0])}{verb[1..]} {Terminal.Safe(pluginId)}");
            }

            var result = response.Read(ProtocolJson.Default.PluginOperationResponse);
            Console.WriteLine(Terminal.Safe(result.Message));
            if (result.Plugin is { } plugin)
            {
                Console.WriteLine($"  {Line(plugin)}");
            }

            return CliExit.Ok;
        });
        return command;
    }

    /// <summary>
    /// `--strict`, as upstream: exit 1 when the gateway reports activation errors (failed, faulted or
    /// leaked plugins) even if an ID narrows the list (a health check on one plugin must not pass while
    /// another is broken), when the list is empty, or when a listed plugin is not active. The operator
    /// learns what to fix.
    /// </summary>
    private static async Task<int> StrictAsync(PluginsResponse all, IReadOnlyList<PluginSummary> plugins)
    {
        var failed = false;
        if (all.ActivationErrorCount > 0)
        {
            var broken = all.Plugins.Where(p => p.State is "failed" or "faulted" or "leaked").Select(p => Terminal.Safe(p.Id));
            await Console.Error.WriteLineAsync(
                $"cara: --strict: activationErrorCount is {all.ActivationErrorCount} ({string.Join(", ", broken)})");
            failed = true;
        }

        if (plugins.Count == 0)
        {
            await Console.Error.WriteLineAsync("cara: --strict: no plugins are listed");
            return CliExit.Failure;
        }

        var notActive = plugins.Where(p => p.State != "active").ToList();
        foreach (var plugin in notActive)
        {
            var why = plugin.Reason is null ? string.Empty : $" ({Terminal.Safe(plugin.Reason)})";
            await Console.Error.WriteLineAsync($"cara: --strict: plugin {plugin.Id} is {plugin.State}{why}");
        }

        return failed || notActive.Count > 0 ? CliExit.Failure : CliExit.Ok;
    }

    private static void Print(PluginsResponse all, IReadOnlyList<PluginSummary> plugins, bool detailed)
    {
        if (!all.PluginsEnabled)
        {
            Console.WriteLine("Plugins are disabled (plugins.enabled: false).");
        }

        foreach (var plugin in plugins)
        {
            Console.WriteLine(Line(plugin));
            if (!detailed)
            {
                continue;
            }

            Console.WriteLine($"    source:   {plugin.Source} ({Terminal.Safe(plugin.Directory)})");
            if (plugin.Managed is { } managed)
            {
                PrintManaged(managed);
            }
            Console.WriteLine($"    kinds:    {string.Join(", ", plugin.Kinds)}");
            if (plugin.Tools.Count > 0)
            {
                Console.WriteLine($"    tools:    {string.Join(", ", plugin.Tools)}");
            }

            if (plugin.Channels.Count > 0)
            {
                Console.WriteLine($"    channels: {string.Join(", ", plugin.Channels)}");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    timings:  load {Ms(plugin.LoadMs)}, unload {Ms(plugin.UnloadMs)}; errors {plugin.ErrorCount}"));
            if (plugin.Unload is { Verified: true } unload)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    unload:   verified, {unload.Ms:0.#} ms, {unload.GcIterations} GC(s)"));
            }
            else if (plugin.Unload is { } leak)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    unload:   LEAKED, load context alive after {leak.GcIterations} GC(s); restart the host"));
            }

            if (plugin.LastError is not null)
            {
                Console.WriteLine($"    last error: {Terminal.Safe(plugin.LastError)}");
            }

            foreach (var warning in plugin.Warnings)
            {
                Console.WriteLine($"    warning:  {Terminal.Safe(warning)}");
            }
        }

        if (plugins.Count == 0)
        {
            Console.WriteLine("(no plugins)");
        }
    }

    private static void PrintManaged(ManagedPluginSummary managed)
    {
        Console.WriteLine($"    sha256:   {managed.Sha256}");
        Console.WriteLine($"    signature: {managed.Signature}{(managed.Publisher is null ? string.Empty : $" by {managed.Publisher}")}{(managed.AllowUnsigned ? " (accepted with --allow-unsigned)" : string.Empty)}");
        Console.WriteLine($"    vetting:  {managed.FindingCount} finding(s){(managed.AllowUnvetted ? ", accepted with --allow-unvetted" : string.Empty)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    installed: {managed.InstalledAt:yyyy-MM-dd HH:mm:ss}Z from {Terminal.Safe(managed.InstalledFrom)}"));
    }

    private static string Line(PluginSummary p) =>
        $"{p.Id,-20} {p.State,-9} {p.Version ?? "-",-10} {(p.Managed is { AllowUnvetted: true } ? "[allow-unvetted] " : string.Empty)}{(p.Reason is null ? string.Empty : Terminal.Safe(p.Reason))}".TrimEnd();

    private static string Ms(double? value) => value is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} ms");
}
