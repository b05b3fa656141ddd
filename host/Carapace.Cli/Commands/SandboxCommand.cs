using System.CommandLine;
using System.Text.Json;
using Carapace.Cli.Client;
using Carapace.Sandbox.Diagnostics;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara sandbox check [--json]`: what this machine's sandbox enforces, checked locally with the same
/// launcher and configuration `cara start` uses. Exit 1 when sandbox-required runs would be refused.
/// </summary>
internal static class SandboxCommand
{
    public static Command Create()
    {
        var command = new Command("sandbox", "Inspect the subprocess sandbox");
        var config = new Option<string?>("--config") { Description = "Configuration file (sandbox.* section)" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var check = new Command("check", "Show what this machine enforces; exit 1 if sandboxed runs would be refused") { config, json };
        CommandAction.Set(check, async (parse, ct) =>
        {
            await using var services = LocalServices.Open(parse.GetValue(config));
            var report = await services.Get<SandboxDiagnostics>().CheckAsync(ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerOptions.Web) { WriteIndented = true }));
            }
            else
            {
                Print(report);
            }

            return report.RunsRefused ? CliExit.Failure : CliExit.Ok;
        });
        command.Subcommands.Add(check);
        return command;
    }

    private static void Print(SandboxReport report)
    {
        Console.WriteLine("Carapace sandbox");
        Console.WriteLine("================");
        Console.WriteLine($"  OS:        {report.Os}");
        Console.WriteLine($"  Backend:   {report.Backend ?? "none"}{(report.Partial ? " (partial: not verified on CI)" : string.Empty)}");
        if (report.LandlockAbi is { } abi)
        {
            var used = report.LandlockEffectiveAbi is { } effective && effective != abi ? $", rules built for ABI {effective}" : string.Empty;
            Console.WriteLine($"  Landlock:  kernel ABI {abi} (launcher knows up to {report.LandlockKnownAbi?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}{used}), errata 0x{report.LandlockErrata ?? 0:x}");
        }

        Console.WriteLine($"  Launcher:  {report.LauncherKind ?? "none"}{(report.LauncherPath is null ? string.Empty : $" ({report.LauncherPath})")}");
        Console.WriteLine($"  Self-test: {report.SelfTest} ({report.SelfTestDetail})");
        foreach (var restriction in report.Restrictions)
        {
            Console.WriteLine($"  - {restriction}");
        }

        Console.WriteLine(report.RunsRefused
            ? $"  Result:    sandboxed runs are REFUSED: {report.RefusalReason}"
            : "  Result:    sandboxed runs are enforced");
    }
}
