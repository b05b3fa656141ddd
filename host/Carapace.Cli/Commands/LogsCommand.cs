using System.CommandLine;
using System.Globalization;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Protocol;
using Carapace.Protocol.Logs;

namespace Carapace.Cli.Commands;

/// <summary>`cara logs -n N [-f]`: the gateway's newest log entries; `-f` keeps following.</summary>
internal static class LogsCommand
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var client = new ClientOptions();
        var count = new Option<int>("-n", "--lines") { Description = "How many entries", DefaultValueFactory = _ => 50 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new entries until interrupted" };
        var json = new Option<bool>("--json") { Description = "Print JSON lines" };
        var command = new Command("logs", "Show the gateway's recent log entries") { count, follow, json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(count);
            if (n is < 1 or > 10_000)
            {
                throw new CliException("-n must be between 1 and 10000");
            }

            using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromSeconds(10));
            var asJson = parse.GetValue(json);
            var logs = await Fetch(gateway, $"control/logs?n={n}", cancellationToken);
            if (logs.Truncated && !asJson)
            {
                await Console.Error.WriteLineAsync("(older entries omitted; use -n to see more)");
            }

            Print(logs, asJson);
            var last = logs.LastSequence;
            while (parse.GetValue(follow) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(FollowInterval, cancellationToken);
                var next = await Fetch(gateway, $"control/logs?n=10000&after={last}", cancellationToken);
                Print(next, asJson);
                last = next.LastSequence;
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static async Task<LogsResponse> Fetch(GatewayClient gateway, string path, CancellationToken cancellationToken)
    {
        var response = await gateway.GetAsync(path, authenticated: true, cancellationToken);
        return response.IsSuccess ? response.Read(ProtocolJson.Default.LogsResponse) : throw response.ToError("Reading logs failed");
    }

    private static void Print(LogsResponse logs, bool asJson)
    {
        foreach (var entry in logs.Entries)
        {
            Console.WriteLine(asJson
                ? System.Text.Json.JsonSerializer.Serialize(entry, ProtocolJson.Default.LogEntry)
                : string.Create(CultureInfo.InvariantCulture,
                    $"{entry.Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Terminal.Safe(entry.Level)}] {Terminal.Safe(entry.Source)}: {Terminal.Safe(entry.Message)}{(entry.Exception is null ? string.Empty : " | " + Terminal.Safe(entry.Exception))}"));
        }
    }
}
