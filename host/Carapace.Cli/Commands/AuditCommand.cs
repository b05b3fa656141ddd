using System.CommandLine;
using System.Text;
using System.Text.Json;
using Carapace.Cli.Client;
using Carapace.Cli.Output;

namespace Carapace.Cli.Commands;

/// <summary>`cara audit -n N [--json]`: the newest audit events (GET /control/audit).</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var count = new Option<int>("-n", "--lines") { Description = "How many events", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line, as stored" };
        var command = new Command("audit", "Show the newest security audit events") { count, json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(count);
            if (n is < 1 or > 10_000)
            {
                throw new CliException("-n must be between 1 and 10000");
            }

            using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromSeconds(10));
            var response = await gateway.GetAsync($"control/audit?n={n}", authenticated: true, cancellationToken);
            if (!response.IsSuccess)
            {
                throw response.ToError("Reading the audit log failed");
            }

            using var document = ParseBody(response.Body);
            var root = document.RootElement;
            foreach (var entry in root.GetProperty("events").EnumerateArray())
            {
                Console.WriteLine(parse.GetValue(json) ? entry.GetRawText() : Format(entry));
            }

            if (root.TryGetProperty("skipped", out var skipped) && skipped.TryGetInt32(out var k) && k > 0)
            {
                await Console.Error.WriteLineAsync($"({k} unreadable line(s) skipped)");
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static JsonDocument ParseBody(string body)
    {
        try
        {
            var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array
                ? document
                : throw new CliException("The gateway sent an unexpected audit response.");
        }
        catch (JsonException)
        {
            throw new CliException("The gateway sent an unexpected audit response.");
        }
    }

    /// <summary><c>2026-01-02T03:04:05.678Z auth_failure remote_ip=127.0.0.1 reason="invalid token"</c>.</summary>
    private static string Format(JsonElement entry)
    {
        var line = new StringBuilder();
        line.Append(Text(entry, "ts")).Append(' ').Append(Text(entry, "event"));
        if (entry.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in data.EnumerateObject())
            {
                var value = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
                line.Append(' ').Append(field.Name).Append('=')
                    .Append(value.Contains(' ', StringComparison.Ordinal) || value.Length == 0 ? JsonSerializer.Serialize(value) : value);
            }
        }

        return Terminal.Safe(line.ToString());
    }

    private static string Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "?";
}
