using System.Security.Cryptography;
using Tmds.DBus.Protocol;

namespace Carapace.Host.Credentials.SecretService;

/// <summary>
/// The slice of the freedesktop Secret Service API (org.freedesktop.secrets) Carapace uses, over
/// Tmds.DBus.Protocol: OpenSession, ReadAlias, the Locked property, Collection.SearchItems,
/// Collection.CreateItem, Item.GetSecret and Item.Delete. Prompts are never shown: a call that would
/// need one (unlock, create-collection) surfaces as <see cref="SecretServicePromptRequiredException"/>.
/// </summary>
internal sealed class SecretServiceClient : IAsyncDisposable
{
    public const string BusName = "org.freedesktop.secrets";
    private const string ServicePath = "/org/freedesktop/secrets";
    private const string ServiceInterface = "org.freedesktop.Secret.Service";
    private const string CollectionInterface = "org.freedesktop.Secret.Collection";
    private const string ItemInterface = "org.freedesktop.Secret.Item";
    private const string SessionInterface = "org.freedesktop.Secret.Session";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    private const string NoPrompt = "/";

    private readonly DBusConnection _connection;
    private string _sessionPath = NoPrompt;
    private SecretServiceSessionCrypto _crypto = SecretServiceSessionCrypto.Plain;

    private SecretServiceClient(DBusConnection connection) => _connection = connection;

    public string SessionAlgorithm => _crypto.IsEncrypted ? SecretServiceSessionCrypto.DhAlgorithm : SecretServiceSessionCrypto.PlainAlgorithm;

    /// <summary>The session bus address from the environment, or null when there is no session bus.</summary>
    public static string? SessionBusAddress(CredentialEnvironment environment) =>
        environment.Get("DBUS_SESSION_BUS_ADDRESS");

    /// <summary>
    /// Connects and, unless <paramref name="session"/> is <see cref="SecretServiceSessionMode.None"/>, opens a
    /// session: <c>dh</c> only, or <c>plain</c> only when asked for (see <see cref="SecretServiceSessionNegotiation"/>).
    /// </summary>
    public static async Task<SecretServiceClient> ConnectAsync(string address, SecretServiceSessionMode session, CancellationToken cancellationToken)
    {
        var connection = new DBusConnection(address);
        var client = new SecretServiceClient(connection);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken);
            if (session != SecretServiceSessionMode.None)
            {
                await client.OpenSessionAsync(session == SecretServiceSessionMode.Plain).WaitAsync(cancellationToken);
            }

            return client;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public Task<Exception?> Disconnected => _connection.DisconnectedAsync();

    /// <summary>The collection behind an alias (e.g. <c>default</c>), or null when the alias is unset.</summary>
    public Task<string?> ReadAliasAsync(string alias)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, ServicePath, ServiceInterface, "ReadAlias", "s");
        writer.WriteString(alias);
        return _connection.CallMethodAsync(Finish(ref writer), static (message, _) =>
        {
            var path = message.GetBodyReader().ReadObjectPathAsString();
            return path == NoPrompt ? null : path;
        }, null);
    }

    /// <summary>Whether a collection object exists at <paramref name="objectPath"/> (its Label property answers).</summary>
    public async Task<bool> CollectionExistsAsync(string objectPath)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, objectPath, PropertiesInterface, "Get", "ss");
        writer.WriteString(CollectionInterface);
        writer.WriteString("Label");
        try
        {
            await _connection.CallMethodAsync(Finish(ref writer), static (message, _) => message.GetBodyReader().ReadVariantValue(), null);
            return true;
        }
        catch (DBusErrorReplyException)
        {
            // NoSuchObject, UnknownObject, UnknownMethod…: services differ in how they say "not there".
            return false;
        }
    }

    public Task<bool> IsLockedAsync(string objectPath, bool isCollection)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, objectPath, PropertiesInterface, "Get", "ss");
        writer.WriteString(isCollection ? CollectionInterface : ItemInterface);
        writer.WriteString("Locked");
        return _connection.CallMethodAsync(Finish(ref writer),
            static (message, _) => message.GetBodyReader().ReadVariantValue().GetBool(), null);
    }

    public Task<string[]> SearchItemsAsync(string collection, IReadOnlyDictionary<string, string> attributes)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, collection, CollectionInterface, "SearchItems", "a{ss}");
        WriteAttributes(ref writer, attributes);
        return _connection.CallMethodAsync(Finish(ref writer), static (message, _) =>
            message.GetBodyReader().ReadArrayOfObjectPath().Select(p => p.ToString()).ToArray(), null);
    }

    /// <summary>Creates or replaces (by attributes) an item holding <paramref name="secret"/>.</summary>
    public async Task<string> CreateItemAsync(string collection, string label, IReadOnlyDictionary<string, string> attributes,
        byte[] secret, string contentType)
    {
        var (parameters, value) = _crypto.Encrypt(secret);
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, collection, CollectionInterface, "CreateItem", "a{sv}(oayays)b");
        var properties = writer.WriteDictionaryStart();
        writer.WriteDictionaryEntryStart();
        writer.WriteString("org.freedesktop.Secret.Item.Label");
        writer.WriteVariantString(label);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("org.freedesktop.Secret.Item.Attributes");
        writer.WriteVariant(new Dict<string, string>(attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)).AsVariantValue());
        writer.WriteDictionaryEnd(properties);
        writer.WriteStructureStart();
        writer.WriteObjectPath(_sessionPath);
        writer.WriteArray(parameters);
        writer.WriteArray(value);
        writer.WriteString(contentType);
        writer.WriteBool(true);
        var (item, prompt) = await _connection.CallMethodAsync(Finish(ref writer), static (message, _) =>
        {
            var reader = message.GetBodyReader();
            return (reader.ReadObjectPathAsString(), reader.ReadObjectPathAsString());
        }, null);
        if (prompt != NoPrompt)
        {
            await DismissAsync(prompt);
            throw new SecretServicePromptRequiredException(collection);
        }

        return item;
    }

    public async Task<byte[]> GetSecretAsync(string item)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, item, ItemInterface, "GetSecret", "o");
        writer.WriteObjectPath(_sessionPath);
        var (parameters, value) = await _connection.CallMethodAsync(Finish(ref writer), static (message, _) =>
        {
            var reader = message.GetBodyReader();
            reader.AlignStruct();
            reader.ReadObjectPath();
            var p = reader.ReadArrayOfByte();
            var v = reader.ReadArrayOfByte();
            return (p, v);
        }, null);
        try
        {
            return _crypto.Decrypt(parameters, value);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    public async Task DeleteItemAsync(string item)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, item, ItemInterface, "Delete");
        var prompt = await _connection.CallMethodAsync(Finish(ref writer),
            static (message, _) => message.GetBodyReader().ReadObjectPathAsString(), null);
        if (prompt != NoPrompt)
        {
            await DismissAsync(prompt);
            throw new SecretServicePromptRequiredException(item);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_sessionPath != NoPrompt)
            {
                var writer = _connection.GetMessageWriter();
                writer.WriteMethodCallHeader(BusName, _sessionPath, SessionInterface, "Close");
                await _connection.CallMethodAsync(Finish(ref writer)).WaitAsync(TimeSpan.FromSeconds(1));
            }
        }
        catch (Exception ex) when (ex is DBusExceptionBase or TimeoutException or ObjectDisposedException)
        {
            // The service drops the session with our connection anyway.
        }
        finally
        {
            _crypto.Dispose();
            _connection.Dispose();
        }
    }

    private async Task OpenSessionAsync(bool plainRequested)
    {
        (_sessionPath, _crypto) = await SecretServiceSessionNegotiation.NegotiateAsync(plainRequested, async (algorithm, input) =>
        {
            var writer = _connection.GetMessageWriter();
            writer.WriteMethodCallHeader(BusName, ServicePath, ServiceInterface, "OpenSession", "sv");
            writer.WriteString(algorithm);
            if (input is null)
            {
                writer.WriteVariantString("");
            }
            else
            {
                writer.WriteVariant(VariantValue.Array(input));
            }

            return await _connection.CallMethodAsync(Finish(ref writer), static (message, _) =>
            {
                var reader = message.GetBodyReader();
                var output = reader.ReadVariantValue();
                var bytes = output.Type == VariantValueType.Array ? output.GetArray<byte>() : [];
                return (bytes, reader.ReadObjectPathAsString());
            }, null);
        }, CloseSessionAsync);
    }

    private async Task CloseSessionAsync(string path)
    {
        var writer = _connection.GetMessageWriter();
        writer.WriteMethodCallHeader(BusName, path, SessionInterface, "Close");
        await _connection.CallMethodAsync(Finish(ref writer));
    }

    private async Task DismissAsync(string prompt)
    {
        try
        {
            var writer = _connection.GetMessageWriter();
            writer.WriteMethodCallHeader(BusName, prompt, "org.freedesktop.Secret.Prompt", "Dismiss");
            await _connection.CallMethodAsync(Finish(ref writer));
        }
        catch (DBusExceptionBase)
        {
        }
    }

    private static void WriteAttributes(ref MessageWriter writer, IReadOnlyDictionary<string, string> attributes)
    {
        var start = writer.WriteDictionaryStart();
        foreach (var (name, value) in attributes)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(name);
            writer.WriteString(value);
        }

        writer.WriteDictionaryEnd(start);
    }

    private static MessageBuffer Finish(ref MessageWriter writer)
    {
        try
        {
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }
}

/// <summary>The service asked for an interactive prompt (unlock or confirmation), which Carapace never shows.</summary>
internal sealed class SecretServicePromptRequiredException : Exception
{
    public SecretServicePromptRequiredException(string objectPath)
        : base($"the Secret Service requires an interactive prompt for '{objectPath}'") => ObjectPath = objectPath;

    public SecretServicePromptRequiredException() : this("?") { }

    public SecretServicePromptRequiredException(string message, Exception innerException) : base(message, innerException) => ObjectPath = "?";

    public string ObjectPath { get; } = "?";
}

/// <summary>Which session <see cref="SecretServiceClient.ConnectAsync"/> opens.</summary>
internal enum SecretServiceSessionMode
{
    /// <summary>No session: enough for ReadAlias and the Locked property (the start-up probe), which carry no secret.</summary>
    None,

    /// <summary>dh-ietf1024-sha256-aes128-cbc-pkcs7, or an error.</summary>
    Encrypted,

    /// <summary>Secrets in the clear on the bus; only when <c>credentials.secretService.session: plain</c>.</summary>
    Plain,
}
