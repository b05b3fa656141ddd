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
}
