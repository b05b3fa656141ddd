namespace Carapace.Host.Credentials;

/// <summary>
/// The gateway token and password, for both the gateway and <c>cara</c>: the environment wins
/// (<c>CARAPACE_GATEWAY_TOKEN</c> / <c>CARAPACE_GATEWAY_PASSWORD</c>), then the credential store
/// (<c>gateway:token:default</c> / <c>gateway:password:default</c>), else null. Store errors (locked,
/// corrupt, timeout) propagate as <see cref="Carapace.Abstractions.Credentials.CredentialException"/>,
/// so a locked keyring is reported instead of looking like "no token configured".
/// </summary>
internal sealed class GatewaySecretResolver(ICredentialStore store, CredentialEnvironment environment)
{
    public const string TokenVariable = "CARAPACE_GATEWAY_TOKEN";
    public const string PasswordVariable = "CARAPACE_GATEWAY_PASSWORD";

    public static CredentialKey TokenKey { get; } = CredentialKey.Parse("gateway:token:default");
    public static CredentialKey PasswordKey { get; } = CredentialKey.Parse("gateway:password:default");

    public Task<ResolvedSecret?> ResolveTokenAsync(CancellationToken cancellationToken) =>
        ResolveAsync(TokenVariable, TokenKey, cancellationToken);

    public Task<ResolvedSecret?> ResolvePasswordAsync(CancellationToken cancellationToken) =>
        ResolveAsync(PasswordVariable, PasswordKey, cancellationToken);

    private async Task<ResolvedSecret?> ResolveAsync(string variable, CredentialKey key, CancellationToken cancellationToken)
    {
        if (environment.Get(variable) is { } fromEnvironment)
        {
            return new ResolvedSecret(fromEnvironment, SecretSource.Environment, variable);
        }

        var stored = await store.GetAsync(key, cancellationToken);
        return string.IsNullOrEmpty(stored) ? null : new ResolvedSecret(stored, SecretSource.CredentialStore, key.ToString());
    }
}

internal enum SecretSource
{
    Environment,
    CredentialStore,
}

/// <summary>A resolved secret. <see cref="ToString"/> never prints the value.</summary>
internal sealed record ResolvedSecret(string Value, SecretSource Source, string Origin)
{
    public override string ToString() => $"secret from {Source} ({Origin})";
}
