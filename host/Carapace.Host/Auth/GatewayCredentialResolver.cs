using Carapace.Host.Gateway;

namespace Carapace.Host.Auth;

/// <summary>
/// Decides the auth mode and secret (upstream rules): secrets come from <c>CARAPACE_GATEWAY_TOKEN</c> /
/// <c>CARAPACE_GATEWAY_PASSWORD</c> first, then <c>gateway.auth.token</c> / <c>.password</c>, then an
/// optional store lookup. With no mode set, a password wins if one resolves, otherwise token mode.
/// </summary>
internal static class GatewayCredentialResolver
{
    public const string TokenVariable = "CARAPACE_GATEWAY_TOKEN";
    public const string PasswordVariable = "CARAPACE_GATEWAY_PASSWORD";

    public static GatewayCredentials Resolve(
        GatewaySettings settings,
        Func<string, string?> getEnv,
        Func<string, string?>? storeLookup,
        Action<string>? warn)
    {
        var token = Find(getEnv(TokenVariable), TokenVariable, settings.ConfigToken, "gateway.auth.token", storeLookup, "gateway:token:default");
        var password = Find(getEnv(PasswordVariable), PasswordVariable, settings.ConfigPassword, "gateway.auth.password", storeLookup, "gateway:password:default");

        switch (settings.AuthMode)
        {
            case GatewayAuthMode.None:
                return new GatewayCredentials(GatewayAuthMode.None, null, null);
            case GatewayAuthMode.Token:
                return new GatewayCredentials(GatewayAuthMode.Token, token.Secret, token.Source);
            case GatewayAuthMode.Password:
                return new GatewayCredentials(GatewayAuthMode.Password, password.Secret, password.Source);
        }

        if (password.Secret is not null)
        {
            if (token.Secret is not null)
            {
                warn?.Invoke($"both a gateway token ({token.Source}) and a password ({password.Source}) are configured; " +
                             "password mode wins. Set gateway.auth.mode to choose explicitly.");
            }

            return new GatewayCredentials(GatewayAuthMode.Password, password.Secret, password.Source);
        }

        return new GatewayCredentials(GatewayAuthMode.Token, token.Secret, token.Source);
    }

    private static (string? Secret, string? Source) Find(
        string? env, string envName, string? config, string configKey, Func<string, string?>? store, string storeKey)
    {
        if (!string.IsNullOrWhiteSpace(env))
        {
            return (env, envName);
        }

        if (config is not null)
        {
            return (config, configKey);
        }

        var stored = store?.Invoke(storeKey);
        return string.IsNullOrWhiteSpace(stored) ? (null, null) : (stored, $"credential store ({storeKey})");
    }
}
