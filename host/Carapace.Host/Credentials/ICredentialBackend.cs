namespace Carapace.Host.Credentials;

/// <summary>
/// One place secrets can live (Secret Service, Keychain, Credential Manager, encrypted file, env).
/// Keys are already validated and values already size-checked by <see cref="CredentialStore"/>.
/// Implementations honour the token (the store adds its timeout to it) and throw
/// <see cref="Carapace.Abstractions.Credentials.CredentialException"/> with a stable code.
/// </summary>
internal interface ICredentialBackend
{
    /// <summary>Stable name recorded in the index: see <see cref="CredentialBackendNames"/>.</summary>
    string Name { get; }

    bool IsWritable { get; }

    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    Task SetAsync(string key, string value, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);
}

internal static class CredentialBackendNames
{
    public const string Auto = "auto";
    public const string SecretService = "secret-service";
    public const string EncryptedFile = "encrypted-file";
    public const string EnvOnly = "env-only";
    public const string MacOsKeychain = "macos-keychain";
    public const string WindowsCredentialManager = "windows-credential-manager";
}

/// <summary>Where the store gets its backend from (selected once, lazily, see <see cref="CredentialBackendSelector"/>).</summary>
internal interface ICredentialBackendSource
{
    ValueTask<ICredentialBackend> GetBackendAsync(CancellationToken cancellationToken);
}

/// <summary>A backend chosen up front (tests, or a caller that already selected one).</summary>
internal sealed class FixedCredentialBackendSource(ICredentialBackend backend) : ICredentialBackendSource
{
    public ValueTask<ICredentialBackend> GetBackendAsync(CancellationToken cancellationToken) => ValueTask.FromResult(backend);
}
