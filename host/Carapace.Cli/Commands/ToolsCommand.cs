using System.CommandLine;
using System.Text;
using System.Text.Json;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Protocol;

namespace Carapace.Cli.Commands;

/// <summary>`cara tools list|invoke`.</summary>
internal static class ToolsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("tools", "List and invoke tools of the running gateway");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Invoke());
        return command;
    }

    private static Command List()
    {
        var client = new ClientOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List tools") { json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            using var gateway = new GatewayClient(client.Resolve(parse));
            var response = await gateway.GetAsync("control/tools", authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError("Listing tools failed");
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(response.Body);
                return CliExit.Ok;
            }

            var tools = response.Read(ProtocolJson.Default.ToolsResponse).Tools;
            foreach (var tool in tools)
            {
                Console.WriteLine($"{tool.Name,-24} {tool.PluginId,-16} {Terminal.Safe(tool.Description)}");
            }

            if (tools.Count == 0)
            {
                Console.WriteLine("(no tools)");
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static Command Invoke()
    {
        var client = new ClientOptions();
        var name = new Argument<string>("name") { Description = "Tool name" };
        var args = new Option<string>("--args") { Description = "Arguments as a JSON object", DefaultValueFactory = _ => "{}" };
        var command = new Command("invoke", "Invoke a tool and print its JSON output") { name, args };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            var json = parse.GetValue(args)!;
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new CliException("--args must be a JSON object");
                }
            }
            catch (JsonException ex)
            {
                throw new CliException($"--args is not valid JSON: {ex.Message}");
            }

            using var gateway = new GatewayClient(client.Resolve(parse), TimeSpan.FromMinutes(5));
            var tool = parse.GetValue(name)!;
            var response = await gateway.SendAsync(HttpMethod.Post, $"control/tools/{Uri.EscapeDataString(tool)}/invoke",
                new StringContent(json, Encoding.UTF8, "application/json"), authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError($"Tool {Terminal.Safe(tool)} failed");
            }

            var result = response.Read(ProtocolJson.Default.ToolInvokeResponse);
            Console.WriteLine(result.Output is { } output ? JsonSerializer.Serialize(output, Indented) : "null");
            return CliExit.Ok;
        });
        return command;
    }
}
