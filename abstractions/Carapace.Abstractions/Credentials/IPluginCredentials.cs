namespace Carapace.Abstractions.Credentials;

/// <summary>
/// Secrets scoped to the calling plugin (stored as <c>plugin:&lt;id&gt;:&lt;name&gt;</c>).
/// Requires the <c>credentials</c> grant (else <see cref="CapabilityDeniedException"/>); quotas apply
/// (100 entries, 10 writes per minute), reported as <see cref="CredentialException"/> with
/// <see cref="CredentialErrorCodes.QuotaExceeded"/> or <see cref="CredentialErrorCodes.RateLimited"/>.
/// A <c>name</c> is one segment of <c>[A-Za-z0-9._-]</c> and the whole stored key is at most 64
/// characters; a value is at most 64 KiB as UTF-8.
/// </summary>
public interface IPluginCredentials
{
    Task<string?> GetAsync(string name, CancellationToken cancellationToken);

    Task SetAsync(string name, string value, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);
}
