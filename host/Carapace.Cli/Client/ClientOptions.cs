using System.CommandLine;

namespace Carapace.Cli.Client;

/// <summary>Options every client verb accepts, and how they resolve into a <see cref="GatewayTarget"/>.</summary>
internal sealed class ClientOptions
{
    public Option<string> Host { get; } = new("--host")
    {
        Description = "Gateway host, or a URL such as https://127.0.0.1:18789",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    public Option<int?> Port { get; } = new("--port", "-p")
    {
        Description = "Gateway port (default: gateway.port from the configuration, else 18789)",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Bearer token or password (default: CARAPACE_GATEWAY_TOKEN, then CARAPACE_GATEWAY_PASSWORD, then the configuration). Visible to other users in the process list; prefer the environment.",
    };

    public Option<bool> AllowPlaintext { get; } = new("--allow-plaintext")
    {
        Description = "Allow sending credentials over plain HTTP to a non-loopback host",
    };

    public Option<bool> Tls { get; } = new("--tls")
    {
        Description = "Use HTTPS (the default when the configuration enables gateway.tls)",
    };

    public Option<string?> Ca { get; } = new("--ca")
    {
        Description = "Verify the gateway's certificate against this PEM/DER certificate (e.g. <state>/tls/gateway.crt for a self-signed gateway)",
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "Do NOT verify the gateway's TLS certificate (anyone on the path could impersonate it); prints a warning",
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Configuration file used to find the port and credentials",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Host);
        command.Options.Add(Port);
        command.Options.Add(Token);
        command.Options.Add(AllowPlaintext);
        command.Options.Add(Tls);
        command.Options.Add(Ca);
        command.Options.Add(Insecure);
        command.Options.Add(Config);
    }

    public GatewayTarget Resolve(ParseResult parse, Func<string, string?>? getEnv = null) =>
        GatewayTarget.Resolve(
            parse.GetValue(Host) ?? "127.0.0.1",
            parse.GetValue(Port),
            parse.GetValue(Token),
            parse.GetValue(AllowPlaintext),
            parse.GetValue(Config),
            getEnv ?? Environment.GetEnvironmentVariable,
            new TlsChoice(parse.GetValue(Tls), parse.GetValue(Ca), parse.GetValue(Insecure)));
}
