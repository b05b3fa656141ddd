using Carapace.Host.Gateway;

namespace Carapace.Host.Auth;

/// <summary>
/// Decides the auth mode and secret (upstream rules), for the gateway and for <c>cara</c> alike: secrets
/// come from <c>CARAPACE_GATEWAY_TOKEN</c> / <c>CARAPACE_GATEWAY_PASSWORD</c> first, then
/// <c>gateway.auth.token</c> / <c>.password</c>. With no mode set, a password wins if one resolves,
/// otherwise token mode. Only when neither the environment nor the configuration provides a secret the
/// mode can use is the credential store asked (<c>gateway:token:default</c> / <c>gateway:password:default</c>),
/// so the environment always wins over the store, whichever kind each holds.
/// </summary>
internal static class GatewayCredentialResolver
{
    public const string TokenVariable = "CARAPACE_GATEWAY_TOKEN";
    public const string PasswordVariable = "CARAPACE_GATEWAY_PASSWORD";
    public const string TokenStoreKey = "gateway:token:default";
    public const string PasswordStoreKey = "gateway:password:default";

    /// <summary>The gateway's view: the mode and a digest of the secret.</summary>
    public static GatewayCredentials Resolve(
        GatewaySettings settings,
        Func<string, string?> getEnv,
        Func<string, string?>? storeLookup,
        Action<string>? warn)
    {
        var resolved = ResolveSecret(settings.AuthMode, settings.ConfigToken, settings.ConfigPassword, getEnv, storeLookup, warn);
        return new GatewayCredentials(resolved.Mode, resolved.Secret, resolved.Source);
    }

    /// <summary>
    /// The mode and the secret itself: <c>cara</c> presents exactly what the gateway, resolving the same
    /// sources, will expect. <paramref name="storeLookup"/> is called only when the environment and the
    /// configuration provide no secret the mode can use (so <c>cara</c> with CARAPACE_GATEWAY_TOKEN set
    /// never opens the store).
    /// </summary>
    public static ResolvedGatewaySecret ResolveSecret(
        GatewayAuthMode? mode,
        string? configToken,
        string? configPassword,
        Func<string, string?> getEnv,
        Func<string, string?>? storeLookup,
        Action<string>? warn)
    {
        if (mode == GatewayAuthMode.None)
        {
            return new ResolvedGatewaySecret(GatewayAuthMode.None, null, null);
        }

        var usesToken = mode != GatewayAuthMode.Password;
        var usesPassword = mode != GatewayAuthMode.Token;
        var token = usesToken ? Find(getEnv(TokenVariable), TokenVariable, configToken, "gateway.auth.token") : default;
        var password = usesPassword ? Find(getEnv(PasswordVariable), PasswordVariable, configPassword, "gateway.auth.password") : default;
        if (token.Secret is null && password.Secret is null && storeLookup is not null)
        {
            token = usesToken ? Stored(storeLookup, TokenStoreKey) : default;
            password = usesPassword ? Stored(storeLookup, PasswordStoreKey) : default;
        }

        switch (mode)
        {
            case GatewayAuthMode.Token:
                return new ResolvedGatewaySecret(GatewayAuthMode.Token, token.Secret, token.Source);
            case GatewayAuthMode.Password:
                return new ResolvedGatewaySecret(GatewayAuthMode.Password, password.Secret, password.Source);
        }

        if (password.Secret is not null)
        {
            if (token.Secret is not null)
            {
                warn?.Invoke($"both a gateway token ({token.Source}) and a password ({password.Source}) are configured; " +
                             "password mode wins. Set gateway.auth.mode to choose explicitly.");
            }

            return new ResolvedGatewaySecret(GatewayAuthMode.Password, password.Secret, password.Source);
        }

        return new ResolvedGatewaySecret(GatewayAuthMode.Token, token.Secret, token.Source);
    }

    private static (string? Secret, string? Source) Find(string? env, string envName, string? config, string configKey) =>
        !string.IsNullOrWhiteSpace(env) ? (env, envName)
        : config is not null ? (config, configKey)
        : (null, null);

    private static (string? Secret, string? Source) Stored(Func<string, string?> store, string key) =>
        store(key) is { } stored && !string.IsNullOrWhiteSpace(stored) ? (stored, $"credential store ({key})") : (null, null);
}

/// <summary>A resolved gateway secret and where it came from. <see cref="ToString"/> never prints the secret.</summary>
internal sealed record ResolvedGatewaySecret(GatewayAuthMode Mode, string? Secret, string? Source)
{
    public override string ToString() => $"{Mode} secret from {Source ?? "nowhere"}";
}
