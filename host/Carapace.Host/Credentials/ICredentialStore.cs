namespace Carapace.Host.Credentials;

/// <summary>
/// The host's credential store: validated keys (<see cref="CredentialKey"/>), values up to 64 KiB,
/// timeouts on every operation, a non-secret index, and audit of writes and deletes. Values are
/// never logged or returned by <see cref="ListAsync"/>.
/// </summary>
internal interface ICredentialStore
{
    /// <summary>The value, or null when absent.</summary>
    Task<string?> GetAsync(CredentialKey key, CancellationToken cancellationToken);

    /// <exception cref="CredentialStoreUnavailableException">Env-only mode.</exception>
    Task SetAsync(CredentialKey key, string value, CancellationToken cancellationToken);

    /// <returns>True when something was deleted.</returns>
    Task<bool> DeleteAsync(CredentialKey key, CancellationToken cancellationToken);

    /// <summary>Metadata from the index (key, backend, updatedAt, owner plugin); never values.</summary>
    Task<IReadOnlyList<CredentialMetadata>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Which backend is in use and whether it accepts writes (for <c>cara status</c> and the API).</summary>
    Task<CredentialStoreStatus> GetStatusAsync(CancellationToken cancellationToken);
}

internal sealed record CredentialMetadata(string Key, string Backend, DateTimeOffset UpdatedAt, string? OwnerPlugin);

internal sealed record CredentialStoreStatus(string Backend, bool Writable);
