namespace Carapace.Abstractions.Credentials;

/// <summary>
/// Secrets scoped to the calling plugin (stored as <c>plugin:&lt;id&gt;:&lt;name&gt;</c>).
/// Requires the <c>credentials</c> grant; quotas apply (100 entries, 10 writes per minute).
/// </summary>
public interface IPluginCredentials
{
    Task<string?> GetAsync(string name, CancellationToken cancellationToken);

    Task SetAsync(string name, string value, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);
}
