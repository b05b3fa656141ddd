using System.Security.Cryptography;
using System.Text;
using Carapace.Abstractions.Credentials;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace Carapace.Host.Credentials.SecretService;

/// <summary>
/// Linux keychain backend: items in the Secret Service collection behind the <c>default</c> alias
/// (the <c>login</c> keyring), with attributes <c>service=carapace</c> and <c>key=&lt;key&gt;</c> and
/// the label <c>carapace &lt;key&gt;</c> — the same items <c>secret-tool lookup service carapace key …</c>
/// finds. A locked collection is reported as <c>credential_store_locked</c> at once, never by waiting on
/// a prompt. One connection and session are kept and re-opened if the bus drops them.
/// </summary>
internal sealed class SecretServiceCredentialBackend : ICredentialBackend, IAsyncDisposable
{
    public const string ServiceAttribute = "carapace";
    public const string ContentType = "text/plain";
    public const string DefaultAlias = "default";
    public const string LoginCollectionPath = "/org/freedesktop/secrets/collection/login";

    private readonly CredentialEnvironment _environment;
    private readonly SecretServiceOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SecretServiceClient? _client;
    private string? _collection;

    public SecretServiceCredentialBackend(CredentialEnvironment environment, SecretServiceOptions options, ILogger logger)
    {
        _environment = environment;
        _options = options;
        _logger = logger;
    }

    public string Name => CredentialBackendNames.SecretService;

    public bool IsWritable => true;

    /// <summary>The transport algorithm of the open session (for diagnostics and tests).</summary>
    public string? SessionAlgorithm => _client?.SessionAlgorithm;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("read", async (client, collection) =>
        {
            foreach (var item in await client.SearchItemsAsync(collection, Attributes(key)))
            {
                byte[] secret;
                try
                {
                    secret = await client.GetSecretAsync(item);
                }
                catch (DBusErrorReplyException ex) when (ex.ErrorName == "org.freedesktop.Secret.Error.NoSuchObject")
                {
                    continue; // deleted between search and read
                }

                try
                {
                    return Encoding.UTF8.GetString(secret);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
            }

            return (string?)null;
        }, cancellationToken);

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) =>
        RunAsync("write", async (client, collection) =>
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            try
            {
                await client.CreateItemAsync(collection, $"carapace {key}", Attributes(key), bytes, ContentType);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }

            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("delete", async (client, collection) =>
        {
            var deleted = false;
            foreach (var item in await client.SearchItemsAsync(collection, Attributes(key)))
            {
                try
                {
                    await client.DeleteItemAsync(item);
                    deleted = true;
                }
                catch (DBusErrorReplyException ex) when (ex.ErrorName == "org.freedesktop.Secret.Error.NoSuchObject")
                {
                }
            }

            return deleted;
        }, cancellationToken);

    /// <summary>
    /// Whether a Secret Service with a usable collection answers on the session bus within
    /// <paramref name="timeout"/>. A locked collection still counts as present (uses then report it).
    /// </summary>
    public static async Task<SecretServiceProbeResult> ProbeAsync(CredentialEnvironment environment, SecretServiceOptions options,
        TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var address = SecretServiceClient.SessionBusAddress(environment);
        if (address is null)
        {
            return new SecretServiceProbeResult(false, false, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)");
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            // No session: the probe reads an alias and a property, never a secret.
            await using var client = await SecretServiceClient.ConnectAsync(address, SecretServiceSessionMode.None, cts.Token);
            var collection = await ResolveCollectionAsync(client, options, logger: null).WaitAsync(cts.Token);
            if (collection is null)
            {
                return new SecretServiceProbeResult(false, false, $"the Secret Service has no '{options.Collection}' collection");
            }

            var locked = await client.IsLockedAsync(collection, isCollection: true).WaitAsync(cts.Token);
            return new SecretServiceProbeResult(true, locked, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SecretServiceProbeResult(false, false, $"the Secret Service did not answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is DBusExceptionBase or IOException or System.Net.Sockets.SocketException or ArgumentException or NotSupportedException)
        {
            return new SecretServiceProbeResult(false, false, $"no Secret Service on the session bus ({ex.Message})");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await ResetAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Dictionary<string, string> Attributes(string key) => new(StringComparer.Ordinal)
    {
        ["service"] = ServiceAttribute,
        ["key"] = key,
    };

    /// <summary>
    /// The collection to use: an object path as given, else the one behind the alias. When the
    /// <c>default</c> alias is unset (some keyrings never set it, or it was cleared) but a <c>login</c>
    /// collection exists, that is the keyring <c>default</c> means, so it is used rather than failing.
    /// </summary>
    internal static Task<string?> ResolveCollectionAsync(SecretServiceClient client, SecretServiceOptions options, ILogger? logger) =>
        ResolveCollectionAsync(options.Collection, client.ReadAliasAsync, client.CollectionExistsAsync, logger);

    /// <summary>The resolution rule over the two D-Bus lookups it needs (tested with scripted answers too).</summary>
    internal static async Task<string?> ResolveCollectionAsync(string collection, Func<string, Task<string?>> readAlias,
        Func<string, Task<bool>> collectionExists, ILogger? logger)
    {
        if (collection.StartsWith('/'))
        {
            return collection;
        }

        var path = await readAlias(collection);
        if (path is not null || !string.Equals(collection, DefaultAlias, StringComparison.Ordinal))
        {
            return path;
        }

        if (!await collectionExists(LoginCollectionPath))
        {
            return null;
        }

        logger?.LogInformation("the Secret Service 'default' alias is unset; using the login collection {Collection}", LoginCollectionPath);
        return LoginCollectionPath;
    }

    private async Task<T> RunAsync<T>(string operation, Func<SecretServiceClient, string, Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var (client, collection) = await EnsureConnectedAsync(cancellationToken);
            if (await client.IsLockedAsync(collection, isCollection: true).WaitAsync(cancellationToken))
            {
                throw CredentialErrors.Locked($"the Secret Service collection '{collection}'");
            }

            return await action(client, collection).WaitAsync(cancellationToken);
        }
        catch (SecretServicePromptRequiredException ex)
        {
            throw CredentialErrors.Locked($"the Secret Service collection '{_collection}'", ex);
        }
        catch (DBusErrorReplyException ex) when (ex.ErrorName == "org.freedesktop.Secret.Error.IsLocked")
        {
            throw CredentialErrors.Locked($"the Secret Service collection '{_collection}'", ex);
        }
        catch (DBusErrorReplyException ex) when (ex.ErrorName is "org.freedesktop.DBus.Error.ServiceUnknown" or "org.freedesktop.DBus.Error.NameHasNoOwner")
        {
            await ResetAsync();
            throw new CredentialStoreUnavailableException($"the Secret Service went away during a credential {operation}",
                "restart the keyring daemon (e.g. gnome-keyring) in this session", ex);
        }
        catch (DBusExceptionBase ex)
        {
            if (ex is DBusConnectionException)
            {
                await ResetAsync();
            }

            _logger.LogWarning("Secret Service {Operation} failed: {Error}", operation, ex.Message);
            throw CredentialErrors.Failure($"the Secret Service failed a credential {operation}: {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            await ResetAsync();
            throw CredentialErrors.Failure($"the Secret Service session failed during a credential {operation}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(SecretServiceClient Client, string Collection)> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client is not null && _collection is not null && !_client.Disconnected.IsCompleted)
        {
            return (_client, _collection);
        }

        await ResetAsync();
        var address = SecretServiceClient.SessionBusAddress(_environment)
            ?? throw new CredentialStoreUnavailableException("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
                "run Carapace inside a desktop or `dbus-run-session` session with a Secret Service, or choose another credentials.backend");
        var plain = string.Equals(_options.Session?.Trim(), SecretServiceSessionCrypto.PlainAlgorithm, StringComparison.OrdinalIgnoreCase);
        var client = await SecretServiceClient.ConnectAsync(address,
            plain ? SecretServiceSessionMode.Plain : SecretServiceSessionMode.Encrypted, cancellationToken);
        if (plain)
        {
            _logger.LogWarning("Secret Service session opened with algorithm {Algorithm} (credentials.secretService.session: plain): secrets cross the session bus unencrypted",
                client.SessionAlgorithm);
        }
        else
        {
            _logger.LogInformation("Secret Service session opened with algorithm {Algorithm}", client.SessionAlgorithm);
        }

        try
        {
            var collection = await ResolveCollectionAsync(client, _options, _logger).WaitAsync(cancellationToken)
                ?? throw new CredentialStoreUnavailableException(
                    _options.Collection == DefaultAlias
                        ? $"the Secret Service has no '{DefaultAlias}' collection (the alias is unset and there is no login collection)"
                        : $"the Secret Service has no '{_options.Collection}' collection",
                    "create a default (login) keyring once in a desktop session; Carapace cannot answer the creation prompt");
            _client = client;
            _collection = collection;
            return (client, collection);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task ResetAsync()
    {
        var client = _client;
        _client = null;
        _collection = null;
        if (client is not null)
        {
            await client.DisposeAsync();
        }
    }
}

internal sealed record SecretServiceProbeResult(bool Available, bool Locked, string? Reason);
