using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Protocol;
using Carapace.Protocol.Health;
using Carapace.Protocol.Status;

namespace Carapace.Cli.Commands;

/// <summary>
/// `cara status`: is the gateway up (public /health), and, when credentials work, what it runs
/// (/control/status). Exit 1 only when the gateway cannot be reached or is unhealthy.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var client = new ClientOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("status", "Show whether the gateway is running and healthy") { json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, cancellationToken) =>
        {
            var target = client.Resolve(parse);
            using var gateway = new GatewayClient(target, TimeSpan.FromSeconds(5));
            var healthResponse = await gateway.GetAsync("health", authenticated: false, cancellationToken);
            if (!healthResponse.IsSuccess)
            {
                throw new CliException($"Health endpoint returned HTTP {(int)healthResponse.Status}: {Terminal.Safe(healthResponse.Body)}");
            }

            var health = healthResponse.Read(ProtocolJson.Default.HealthResponse);
            var (control, controlNote) = await TryControlStatus(gateway, cancellationToken);

            if (parse.GetValue(json))
            {
                var output = new JsonObject
                {
                    ["health"] = JsonNode.Parse(healthResponse.Body),
                    ["controlStatus"] = control is null ? null : JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(control, ProtocolJson.Default.StatusResponse)),
                    ["controlNote"] = controlNote,
                };
                Console.WriteLine(output.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                return CliExit.Ok;
            }

            Print(target, health, control, controlNote);
            return CliExit.Ok;
        });
        return command;
    }

    private static async Task<(StatusResponse? Status, string? Note)> TryControlStatus(GatewayClient gateway, CancellationToken cancellationToken)
    {
        if (gateway.Target.Credential is null)
        {
            return (null, "not queried: no credentials (set CARAPACE_GATEWAY_TOKEN)");
        }

        if (!gateway.Target.MaySendCredential)
        {
            return (null, $"not queried: refusing to send credentials over plain HTTP to {gateway.Target.Host} (--allow-plaintext)");
        }

        var response = await gateway.GetAsync("control/status", authenticated: true, cancellationToken);
        return response.Status switch
        {
            HttpStatusCode.OK => (response.Read(ProtocolJson.Default.StatusResponse), null),
            HttpStatusCode.Unauthorized => (null, "unauthorized (check CARAPACE_GATEWAY_TOKEN)"),
            HttpStatusCode.NotFound => (null, "control API disabled on the gateway"),
            _ => (null, $"HTTP {(int)response.Status}"),
        };
    }

    private static void Print(GatewayTarget target, HealthResponse health, StatusResponse? control, string? note)
    {
        Console.WriteLine("Carapace gateway status");
        Console.WriteLine("=======================");
        Console.WriteLine($"  Version:  {Terminal.Safe(health.Version)}");
        Console.WriteLine($"  Uptime:   {Terminal.Duration(health.UptimeSeconds)}");
        Console.WriteLine($"  Address:  {target.Display}");
        Console.WriteLine($"  Status:   {(health.Status == "ok" ? "healthy" : Terminal.Safe(health.Status))}");
        if (control is null)
        {
            Console.WriteLine($"  Control:  {note}");
            return;
        }

        Console.WriteLine($"  Plugins:  {control.Plugins.Active}/{control.Plugins.Total} active{(control.Plugins.Failed > 0 ? $", {control.Plugins.Failed} failed" : string.Empty)}");
        Console.WriteLine($"  Channels: {control.Channels.Connected}/{control.Channels.Total} connected");
        Console.WriteLine($"  Platform: {Terminal.Safe(control.Runtime.Platform)} ({Terminal.Safe(control.Runtime.Arch)}), {Terminal.Safe(control.Runtime.Dotnet)}");
        Console.WriteLine($"  Auth:     {Terminal.Safe(control.Diagnostics.AuthMode)}");
        Console.WriteLine($"  State:    {(control.Diagnostics.StateDirWritable ? "writable" : "NOT WRITABLE")}");
    }
}
