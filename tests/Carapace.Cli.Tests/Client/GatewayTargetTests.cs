using Carapace.Host.Configuration;
using Carapace.Cli.Client;
using Carapace.Host.Auth;
using Carapace.Host.Credentials;
using Carapace.Host.Gateway;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Client;

/// <summary>
/// Which gateway `cara` talks to and which secret it presents: the same precedence as the gateway's own
/// <see cref="GatewayCredentialResolver"/> (environment, then configuration, then the credential store),
/// against a real encrypted-file store.
/// </summary>
public sealed class GatewayTargetTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly Dictionary<string, string?> _env;
    private readonly string _config;

    public GatewayTargetTests()
    {
        _config = Path.Combine(_dir.Path, "carapace.yaml");
        _env = new Dictionary<string, string?>
        {
            ["CARAPACE_STATE_DIR"] = Path.Combine(_dir.Path, "state"),
            ["HOME"] = _dir.Path,
            ["CARAPACE_CONFIG_PASSWORD"] = "target-tests-password",
            ["CARAPACE_CONFIG_PATH"] = _config,
        };
        WriteConfig("");
    }

    public void Dispose() => _dir.Dispose();

    private string? Env(string name) => _env.GetValueOrDefault(name);

    private void WriteConfig(string gatewayAuth) =>
        File.WriteAllText(_config, "credentials:\n  backend: encrypted-file\n" + (gatewayAuth.Length == 0 ? "" : $"gateway:\n  auth:\n{gatewayAuth}"));

    private async Task StoreAsync(string key, string value)
    {
        await using var services = LocalServices.Open(null, Env);
        await services.Get<ICredentialStore>().SetAsync(CredentialKey.Parse(key), value, CancellationToken.None);
    }

    private GatewayTarget Resolve(string host = "127.0.0.1", int? port = null, string? token = null) =>
        GatewayTarget.Resolve(host, port, token, allowPlaintext: false, configPath: null, Env);

    [Fact]
    public async Task Environment_wins_over_configuration_and_store()
    {
        await StoreAsync("gateway:token:default", "from-store");
        WriteConfig("    token: from-config\n");
        _env["CARAPACE_GATEWAY_TOKEN"] = "from-env";

        Assert.Equal("from-env", Resolve().Credential);
    }

    [Fact]
    public async Task Configuration_wins_over_the_store()
    {
        await StoreAsync("gateway:token:default", "from-store");
        WriteConfig("    token: from-config\n");

        Assert.Equal("from-config", Resolve().Credential);
    }

    [Fact]
    public async Task Store_is_used_when_nothing_else_is_set()
    {
        await StoreAsync("gateway:token:default", "from-store");

        Assert.Equal("from-store", Resolve().Credential);
    }

    [Fact]
    public async Task Token_flag_wins_over_everything()
    {
        await StoreAsync("gateway:token:default", "from-store");
        _env["CARAPACE_GATEWAY_TOKEN"] = "from-env";

        Assert.Equal("from-flag", Resolve(token: "from-flag").Credential);
    }

    [Fact]
    public async Task Cara_and_the_gateway_pick_the_same_secret_from_the_same_sources()
    {
        await StoreAsync("gateway:token:default", "stored-token");
        await StoreAsync("gateway:password:default", "stored-password");
        var settings = new GatewaySettings
        {
            BindAddress = System.Net.IPAddress.Loopback, BindText = "loopback", Port = 18789,
            AuthMode = null, ConfigToken = null, ConfigPassword = null, ControlEnabled = true,
        };
        await using var services = LocalServices.Open(null, Env);
        var store = services.Get<ICredentialStore>();
        GatewayCredentials Gateway() => GatewayCredentialResolver.Resolve(settings, Env,
            key => store.GetAsync(CredentialKey.Parse(key), CancellationToken.None).GetAwaiter().GetResult(), null);

        // Only the store: a stored password wins over a stored token (upstream's rule), on both sides.
        Assert.Equal("stored-password", Resolve().Credential);
        Assert.Equal(GatewayAuthMode.Password, Gateway().Mode);
        Assert.True(Gateway().Matches("stored-password"));

        // An environment token: the store is not consulted at all, on both sides.
        _env["CARAPACE_GATEWAY_TOKEN"] = "env-token";
        Assert.Equal("env-token", Resolve().Credential);
        Assert.Equal(GatewayAuthMode.Token, Gateway().Mode);
        Assert.True(Gateway().Matches("env-token"));
    }

    [Theory]
    [InlineData(99999)]
    [InlineData(65536)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Port_outside_1_to_65535_is_a_usage_error(int port)
    {
        var ex = Assert.Throws<CliException>(() => Resolve(port: port));

        Assert.Equal(CliExit.UsageError, ex.ExitCode);
        Assert.Equal($"--port: must be between 1 and 65535 (got {port})", ex.Message);
    }

    [Theory]
    [InlineData("not a host")]
    [InlineData("")]
    [InlineData("exa_mple!")]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("http://127.0.0.1:99999")]
    [InlineData("http://127.0.0.1/path")]
    public void Host_that_is_not_a_name_address_or_http_url_is_a_usage_error(string host)
    {
        var ex = Assert.Throws<CliException>(() => Resolve(host: host));

        Assert.Equal(CliExit.UsageError, ex.ExitCode);
        Assert.StartsWith("--host: expected a host name, an IP address or http(s)://HOST[:PORT]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[::1]", "::1", "http://[::1]:18789/")]
    [InlineData("::1", "::1", "http://[::1]:18789/")]
    [InlineData("gateway.example", "gateway.example", "http://gateway.example:18789/")]
    [InlineData("https://10.1.2.3:9443", "10.1.2.3", "https://10.1.2.3:9443/")]
    public void Valid_hosts_resolve_to_a_base_address(string host, string expectedHost, string expectedBase)
    {
        var target = Resolve(host: host);

        Assert.Equal(expectedHost, target.Host);
        Assert.Equal(new Uri(expectedBase), target.BaseAddress);
    }

    [Fact]
    public void An_invalid_gateway_section_stops_the_command_instead_of_falling_back_to_the_default_port()
    {
        File.WriteAllText(_config, "gateway:\n  port: 19000\n  auth:\n    mode: magic\n    token: config-token\n");

        var error = Assert.Throws<ConfigurationException>(() => Resolve());

        var problem = Assert.Single(error.Errors);
        Assert.Equal("gateway.auth.mode", problem.Key);
        Assert.Equal(4, problem.Line);
    }

    [Fact]
    public void A_located_configuration_that_does_not_load_stops_the_command_too()
    {
        File.WriteAllText(_config, "gateway:\n  port: [19000\n");

        Assert.Throws<ConfigurationException>(() => Resolve());
    }

    [Fact]
    public void Configured_port_zero_asks_for_the_port_flag()
    {
        File.WriteAllText(_config, "gateway:\n  port: 0\n");

        var ex = Assert.Throws<CliException>(() => Resolve());

        Assert.Equal(CliExit.UsageError, ex.ExitCode);
        Assert.Contains("pass the port it logged with --port", ex.Message, StringComparison.Ordinal);
    }
}
