using System.CommandLine;
using System.Text;
using Carapace.Cli.Client;
using Carapace.Cli.Output;
using Carapace.Protocol;
using Carapace.Protocol.Channels;

namespace Carapace.Cli.Commands;

/// <summary>`cara channels list|send`.</summary>
internal static class ChannelsCommand
{
    public static Command Create()
    {
        var command = new Command("channels", "List channels and send messages through them");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Send());
        return command;
    }

    private static Command List()
    {
        var client = new ClientOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("list", "List channels") { json };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            using var gateway = new GatewayClient(client.Resolve(parse));
            var response = await gateway.GetAsync("control/channels", authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError("Listing channels failed");
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(response.Body);
                return CliExit.Ok;
            }

            var channels = response.Read(ProtocolJson.Default.ChannelsResponse);
            Console.WriteLine($"{channels.Connected}/{channels.Total} connected");
            foreach (var channel in channels.Channels)
            {
                Console.WriteLine($"  {channel.Id,-16} {channel.State,-10} plugin {channel.PluginId}{(channel.LastError is null ? string.Empty : $"  last error: {Terminal.Safe(channel.LastError)}")}");
            }

            return CliExit.Ok;
        });
        return command;
    }

    private static Command Send()
    {
        var client = new ClientOptions();
        var id = new Argument<string>("channel") { Description = "Channel id" };
        var to = new Option<string>("--to") { Description = "Conversation id", Required = true };
        var text = new Option<string>("--text") { Description = "Message text", Required = true };
        var command = new Command("send", "Send a message through a channel") { id, to, text };
        client.AddTo(command);
        CommandAction.Set(command, async (parse, ct) =>
        {
            using var gateway = new GatewayClient(client.Resolve(parse));
            var channel = parse.GetValue(id)!;
            var body = System.Text.Json.JsonSerializer.Serialize(new ChannelSendRequest(parse.GetValue(to)!, parse.GetValue(text)!), ProtocolJson.Default.ChannelSendRequest);
            var response = await gateway.SendAsync(HttpMethod.Post, $"control/channels/{Uri.EscapeDataString(channel)}/send",
                new StringContent(body, Encoding.UTF8, "application/json"), authenticated: true, ct);
            if (!response.IsSuccess)
            {
                throw response.ToError($"Sending through {Terminal.Safe(channel)} failed");
            }

            Console.WriteLine($"Sent through {channel}");
            return CliExit.Ok;
        });
        return command;
    }
}
