using System.CommandLine;
using System.Net.Sockets;
using Carapace.Host.Gateway;
using Microsoft.AspNetCore.Builder;

namespace Carapace.Cli.Commands;

/// <summary>`cara start`: runs the gateway in the foreground until Ctrl-C or SIGTERM.</summary>
internal static class StartCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file (default: CARAPACE_CONFIG_PATH, then the state dir, then ~/.config/carapace/carapace.yaml)" };
        var port = new Option<int?>("--port", "-p") { Description = "Port to listen on (overrides gateway.port; 0 picks a free port)" };
        var bind = new Option<string?>("--bind") { Description = "loopback (default), lan, all, or an IP address (overrides gateway.bind)" };
        var console = new Option<bool>("--console") { Description = "Run the console channel on this terminal (logs go to stderr)" };

        var command = new Command("start", "Run the Carapace gateway in the foreground") { config, port, bind, console };
        CommandAction.Set(command, async (parse, _) =>
        {
            WebApplication app;
            app = GatewayHost.Build(new GatewayStartOptions
            {
                ConfigPath = parse.GetValue(config),
                PortOverride = parse.GetValue(port),
                BindOverride = parse.GetValue(bind),
                Console = parse.GetValue(console),
            });

            await using (app)
            {
                try
                {
                    // The host's console lifetime owns Ctrl-C / SIGTERM and shuts down gracefully.
                    await app.RunAsync();
                }
                catch (IOException ex) when (ex.InnerException is SocketException || ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
                {
                    throw new CliException($"Failed to start the gateway: {ex.Message}");
                }
            }

            return CliExit.Ok;
        });
        return command;
    }
}
