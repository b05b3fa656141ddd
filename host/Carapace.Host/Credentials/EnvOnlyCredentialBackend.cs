namespace Carapace.Host.Credentials;

/// <summary>
/// Degraded mode when there is neither a keychain nor <c>CARAPACE_CONFIG_PASSWORD</c>: reads come from
/// <c>CARAPACE_CREDENTIAL_&lt;KEY&gt;</c> environment variables (see <see cref="CredentialEnvironment.VariableFor"/>),
/// writes and deletes are refused. Nothing is ever written to disk.
/// </summary>
internal sealed class EnvOnlyCredentialBackend(CredentialEnvironment environment, string? reason = null) : ICredentialBackend
{
    public string Name => CredentialBackendNames.EnvOnly;

    public bool IsWritable => false;

    /// <summary>Why env-only mode was chosen (e.g. the Secret Service probe result), for status output.</summary>
    public string? Reason { get; } = reason;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(environment.Get(CredentialEnvironment.VariableFor(key)));

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) =>
        throw Refused("store", key);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        throw Refused("delete", key);

    // The hint names this key's variable: the escape rule (CredentialEnvironment.VariableFor) is not
    // something an operator should have to work out by hand.
    private CredentialStoreUnavailableException Refused(string verb, string key) =>
        new($"cannot {verb} credential '{key}': the credential store is in env-only mode" +
            (Reason is null ? "" : $" ({Reason})"),
            CredentialStoreUnavailableException.DefaultHint.Replace("CARAPACE_CREDENTIAL_<KEY>",
                $"{CredentialEnvironment.VariableFor(key)} for this key", StringComparison.Ordinal));
}
