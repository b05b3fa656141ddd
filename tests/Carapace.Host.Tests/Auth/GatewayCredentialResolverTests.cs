using System.Net;
using Carapace.Host.Auth;
using Carapace.Host.Gateway;

namespace Carapace.Host.Tests.Auth;

public sealed class GatewayCredentialResolverTests
{
    private static GatewaySettings Settings(GatewayAuthMode? mode = null, string? token = null, string? password = null) => new()
    {
        BindAddress = IPAddress.Loopback,
        BindText = "loopback",
        Port = 18789,
        AuthMode = mode,
        ConfigToken = token,
        ConfigPassword = password,
        ControlEnabled = true,
    };

    private static Func<string, string?> Env(params (string Key, string Value)[] pairs) =>
        key => pairs.FirstOrDefault(p => p.Key == key).Value;

    [Fact]
    public void Nothing_configured_means_token_mode_without_a_secret()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(), Env(), null, null);

        Assert.Equal(GatewayAuthMode.Token, credentials.Mode);
        Assert.False(credentials.HasSecret);
    }

    [Fact]
    public void Password_wins_over_token_when_both_resolve_and_says_so()
    {
        var warnings = new List<string>();

        var credentials = GatewayCredentialResolver.Resolve(Settings(),
            Env(("CARAPACE_GATEWAY_TOKEN", "t"), ("CARAPACE_GATEWAY_PASSWORD", "p")), null, warnings.Add);

        Assert.Equal(GatewayAuthMode.Password, credentials.Mode);
        Assert.True(credentials.Matches("p"));
        Assert.Single(warnings);
    }

    [Fact]
    public void Explicit_token_mode_ignores_the_password()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(GatewayAuthMode.Token, password: "p"), Env(), null, null);

        Assert.Equal(GatewayAuthMode.Token, credentials.Mode);
        Assert.False(credentials.HasSecret);
    }

    [Fact]
    public void Store_is_consulted_after_env_and_config()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(), Env(),
            key => key == "gateway:token:default" ? "stored" : null, null);

        Assert.True(credentials.Matches("stored"));
        Assert.Equal("credential store (gateway:token:default)", credentials.Source);
    }

    [Fact]
    public void Blank_environment_values_do_not_count()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(token: "cfg"), Env(("CARAPACE_GATEWAY_TOKEN", "  ")), null, null);

        Assert.True(credentials.Matches("cfg"));
        Assert.Equal("gateway.auth.token", credentials.Source);
    }

    private static Func<string, string?> Store(params (string Key, string Value)[] pairs) =>
        key => pairs.FirstOrDefault(p => p.Key == key).Value;

    [Fact]
    public void Environment_wins_over_configuration_and_store()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(token: "from-config"), Env(("CARAPACE_GATEWAY_TOKEN", "from-env")),
            Store(("gateway:token:default", "from-store")), null);

        Assert.True(credentials.Matches("from-env"));
        Assert.False(credentials.Matches("from-config"));
        Assert.Equal("CARAPACE_GATEWAY_TOKEN", credentials.Source);
    }

    [Fact]
    public void Configuration_wins_over_the_store()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(token: "from-config"), Env(),
            Store(("gateway:token:default", "from-store")), null);

        Assert.True(credentials.Matches("from-config"));
        Assert.Equal("gateway.auth.token", credentials.Source);
    }

    [Fact]
    public void Store_is_not_asked_when_the_environment_or_configuration_provides_a_secret()
    {
        var asked = new List<string>();
        string? Store(string key)
        {
            asked.Add(key);
            return "stored";
        }

        var fromConfig = GatewayCredentialResolver.ResolveSecret(null, null, "cfg-password", Env(), Store, null);
        var fromEnv = GatewayCredentialResolver.ResolveSecret(null, null, null, Env(("CARAPACE_GATEWAY_TOKEN", "t")), Store, null);

        Assert.Empty(asked);
        Assert.Equal((GatewayAuthMode.Password, "cfg-password", "gateway.auth.password"), (fromConfig.Mode, fromConfig.Secret, fromConfig.Source));
        Assert.Equal((GatewayAuthMode.Token, "t", "CARAPACE_GATEWAY_TOKEN"), (fromEnv.Mode, fromEnv.Secret, fromEnv.Source));
        Assert.DoesNotContain("cfg-password", fromConfig.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_environment_token_wins_over_a_stored_password()
    {
        var credentials = GatewayCredentialResolver.Resolve(Settings(), Env(("CARAPACE_GATEWAY_TOKEN", "env-token")),
            Store(("gateway:password:default", "stored-password")), null);

        Assert.Equal(GatewayAuthMode.Token, credentials.Mode);
        Assert.True(credentials.Matches("env-token"));
        Assert.Equal("CARAPACE_GATEWAY_TOKEN", credentials.Source);
    }

    [Fact]
    public void Stored_password_wins_over_a_stored_token_when_nothing_else_is_set()
    {
        var warnings = new List<string>();

        var credentials = GatewayCredentialResolver.Resolve(Settings(), Env(),
            Store(("gateway:token:default", "stored-token"), ("gateway:password:default", "stored-password")), warnings.Add);

        Assert.Equal(GatewayAuthMode.Password, credentials.Mode);
        Assert.True(credentials.Matches("stored-password"));
        Assert.Single(warnings);
    }

    [Fact]
    public void Explicit_mode_asks_the_store_only_for_its_own_kind()
    {
        var asked = new List<string>();

        var credentials = GatewayCredentialResolver.Resolve(Settings(GatewayAuthMode.Token), Env(("CARAPACE_GATEWAY_PASSWORD", "p")),
            key => { asked.Add(key); return "stored-token"; }, null);

        Assert.Equal(["gateway:token:default"], asked);
        Assert.True(credentials.Matches("stored-token"));
    }
}
