using System.Text;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Audit;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Credentials;

/// <summary>
/// <see cref="ICredentialStore"/> over the selected backend: validates sizes, applies the per-operation
/// timeout, keeps the index in step and audits writes and deletes (key and backend only, never values).
/// </summary>
internal sealed class CredentialStore : ICredentialStore
{
    public const int MaxValueBytes = 64 * 1024;

    private readonly ICredentialBackendSource _source;
    private readonly CredentialIndex _index;
    private readonly IAuditLog _audit;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    public CredentialStore(ICredentialBackendSource source, CredentialIndex index, IAuditLog audit,
        CredentialOptions options, ILogger<CredentialStore> logger)
    {
        _source = source;
        _index = index;
        _audit = audit;
        _timeout = options.Timeout;
        _logger = logger;
    }

    public Task<string?> GetAsync(CredentialKey key, CancellationToken cancellationToken) =>
        WithTimeoutAsync("read", key, (backend, ct) => backend.GetAsync(key.ToString(), ct), cancellationToken);

    public async Task SetAsync(CredentialKey key, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var size = Encoding.UTF8.GetByteCount(value);
        if (size > MaxValueBytes)
        {
            throw new CredentialException(CredentialErrorCodes.ValueTooLarge,
                $"credential value is {size} bytes; the limit is {MaxValueBytes} bytes (64 KiB)");
        }

        var backendName = await WithTimeoutAsync("write", key, async (backend, ct) =>
        {
            if (!backend.IsWritable)
            {
                // Let the backend phrase the refusal (env-only names the reason and the fix).
                await backend.SetAsync(key.ToString(), value, ct);
                throw new CredentialStoreUnavailableException($"credential backend '{backend.Name}' is read-only");
            }

            await backend.SetAsync(key.ToString(), value, ct);
            return backend.Name;
        }, cancellationToken);

        await _index.UpsertAsync(key, backendName, cancellationToken);
        _audit.Write(AuditEvents.CredentialWritten, AuditData(key, backendName));
    }

    public async Task<bool> DeleteAsync(CredentialKey key, CancellationToken cancellationToken)
    {
        var (deleted, backendName) = await WithTimeoutAsync("delete", key, async (backend, ct) =>
            (await backend.DeleteAsync(key.ToString(), ct), backend.Name), cancellationToken);

        await _index.RemoveAsync(key, cancellationToken);
        if (deleted)
        {
            _audit.Write(AuditEvents.CredentialDeleted, AuditData(key, backendName));
        }

        return deleted;
    }

    public Task<IReadOnlyList<CredentialMetadata>> ListAsync(CancellationToken cancellationToken) =>
        _index.ListAsync(cancellationToken);

    public async Task<CredentialStoreStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var backend = await _source.GetBackendAsync(cancellationToken);
        return new CredentialStoreStatus(backend.Name, backend.IsWritable);
    }

    private static Dictionary<string, object?> AuditData(CredentialKey key, string backend) => new(StringComparer.Ordinal)
    {
        ["key"] = key.ToString(),
        ["backend"] = backend,
        ["plugin_id"] = key.OwnerPlugin,
    };

    // Backends that cannot observe cancellation (blocking native calls, a D-Bus reply that never
    // comes) are abandoned at the deadline via WaitAsync, so a caller never hangs on the keychain.
    private async Task<T> WithTimeoutAsync<T>(string operation, CredentialKey key,
        Func<ICredentialBackend, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            var backend = await _source.GetBackendAsync(timeout.Token).AsTask().WaitAsync(timeout.Token);
            return await action(backend, timeout.Token).WaitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            // A keychain whose native library is missing or broken is an unavailable store (503 over the
            // API, a clear CLI message), never an unexpected error.
            _logger.LogWarning("credential {Operation} of {Key}: the native library of the credential backend could not be loaded: {Error}",
                operation, key.ToString(), ex.Message);
            throw new CredentialStoreUnavailableException(
                $"credential {operation} of '{key}' failed: the credential backend's native library could not be loaded ({ex.GetType().Name})",
                "choose a credentials.backend this system provides (auto picks one), or install the missing keychain library", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("credential {Operation} of {Key} timed out after {Timeout}", operation, key.ToString(), _timeout);
            throw new CredentialException(CredentialErrorCodes.StoreTimeout,
                $"credential {operation} of '{key}' timed out after {_timeout.TotalSeconds:0.#} s",
                "check that the keychain service is responsive (or raise credentials.timeoutSeconds)", ex);
        }
    }
}
