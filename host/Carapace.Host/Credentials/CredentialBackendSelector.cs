using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials.SecretService;
using Carapace.Host.Credentials.Platform;
using Carapace.Storage;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Credentials;

/// <summary>
/// Chooses the backend once, on first use: the OS keychain (Secret Service on Linux when a session
/// bus answers within the probe timeout; Keychain on macOS; Credential Manager on Windows), else the
/// encrypted file when <c>CARAPACE_CONFIG_PASSWORD</c> is set, else env-only. <c>credentials.backend</c>
/// forces one. Never a plaintext file.
/// </summary>
internal sealed class CredentialBackendSelector : ICredentialBackendSource, IAsyncDisposable
{
    private readonly CredentialOptions _options;
    private readonly CredentialEnvironment _environment;
    private readonly StateDirectory _state;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ICredentialBackend? _selected;

    public CredentialBackendSelector(CredentialOptions options, CredentialEnvironment environment, StateDirectory state,
        ILoggerFactory loggers)
    {
        _options = options;
        _environment = environment;
        _state = state;
        _loggers = loggers;
        _logger = loggers.CreateLogger<CredentialBackendSelector>();
    }

    public async ValueTask<ICredentialBackend> GetBackendAsync(CancellationToken cancellationToken)
    {
        if (_selected is not null)
        {
            return _selected;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            _selected ??= await SelectAsync(cancellationToken);
            return _selected;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ICredentialBackend> SelectAsync(CancellationToken cancellationToken)
    {
        var requested = (_options.Backend ?? CredentialBackendNames.Auto).Trim().ToLowerInvariant();
        // Start refuses this already (CredentialSettingsCheck); a caller that built options by hand must
        // still get the store's own error rather than a native-library load failure.
        if (CredentialSettingsCheck.UnavailableReason(requested) is { } unavailable)
        {
            throw new CredentialStoreUnavailableException($"credentials.backend: {unavailable}",
                "set credentials.backend to auto (or a backend this OS has) in carapace.yaml");
        }

        ICredentialBackend backend = requested switch
        {
            CredentialBackendNames.Auto => await SelectAutomaticallyAsync(cancellationToken),
            CredentialBackendNames.SecretService => CreateSecretService(),
            CredentialBackendNames.EncryptedFile => CreateEncryptedFile()
                ?? throw new CredentialStoreUnavailableException(
                    "credentials.backend is encrypted-file but CARAPACE_CONFIG_PASSWORD is not set",
                    "set CARAPACE_CONFIG_PASSWORD in the environment of the gateway and of cara"),
            CredentialBackendNames.EnvOnly => new EnvOnlyCredentialBackend(_environment, "credentials.backend is env-only"),
            CredentialBackendNames.MacOsKeychain => new MacOsKeychainCredentialBackend(),
            CredentialBackendNames.WindowsCredentialManager => new WindowsCredentialManagerBackend(),
            _ => throw new CredentialException(CredentialErrorCodes.StoreUnavailable,
                $"credentials.backend '{_options.Backend}' is not one of auto, secret-service, encrypted-file, env-only, macos-keychain, windows-credential-manager"),
        };
        _logger.LogInformation("credential store backend: {Backend}", backend.Name);
        return backend;
    }

    private async Task<ICredentialBackend> SelectAutomaticallyAsync(CancellationToken cancellationToken)
    {
        string reason;
        if (OperatingSystem.IsMacOS())
        {
            return new MacOsKeychainCredentialBackend();
        }

        if (OperatingSystem.IsWindows())
        {
            return new WindowsCredentialManagerBackend();
        }

        var probe = await SecretServiceCredentialBackend.ProbeAsync(_environment, _options.SecretService, _options.ProbeTimeout, cancellationToken);
        if (probe.Available)
        {
            if (probe.Locked)
            {
                _logger.LogWarning("the Secret Service collection is locked; credential operations will fail with credential_store_locked until it is unlocked");
            }

            return CreateSecretService();
        }

        reason = probe.Reason ?? "no Secret Service";
        var file = CreateEncryptedFile();
        if (file is not null)
        {
            _logger.LogInformation("no OS keychain ({Reason}); using the encrypted credential file", reason);
            return file;
        }

        _logger.LogWarning(
            "no OS keychain ({Reason}) and CARAPACE_CONFIG_PASSWORD is not set: credentials are env-only and cannot be stored", reason);
        return new EnvOnlyCredentialBackend(_environment, $"{reason}; CARAPACE_CONFIG_PASSWORD is not set");
    }

    private SecretServiceCredentialBackend CreateSecretService() =>
        new(_environment, _options.SecretService, _loggers.CreateLogger<SecretServiceCredentialBackend>());

    private EncryptedFileCredentialBackend? CreateEncryptedFile() =>
        // The lock wait is part of the operation, so it gets the operation's timeout.
        _environment.ConfigPassword is { } password ? new EncryptedFileCredentialBackend(_state, password, _options.Timeout) : null;

    public async ValueTask DisposeAsync()
    {
        if (_selected is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }
}
