using Tmds.DBus.Protocol;

namespace Carapace.Host.Tests.Credentials.Support;

/// <summary>
/// Creates an extra collection in the test gnome-keyring without a prompt (through gnome-keyring's
/// own "InternalUnsupportedGuiltRiddenInterface", which exists for exactly this headless use) and
/// locks it, so the locked-collection path can be tested without locking the default collection
/// other tests use.
/// </summary>
internal static class GnomeKeyringTestCollection
{
    public static async Task<string> CreateLockedAsync(string label)
    {
        using var connection = new DBusConnection(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")!);
        await connection.ConnectAsync();

        var writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "OpenSession", "sv");
        writer.WriteString("plain");
        writer.WriteVariantString("");
        var session = await connection.CallMethodAsync(Finish(ref writer), static (m, _) =>
        {
            var r = m.GetBodyReader();
            r.ReadVariantValue();
            return r.ReadObjectPathAsString();
        }, null);

        writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets",
            "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", "CreateWithMasterPassword", "a{sv}(oayays)");
        var props = writer.WriteDictionaryStart();
        writer.WriteDictionaryEntryStart();
        writer.WriteString("org.freedesktop.Secret.Collection.Label");
        writer.WriteVariantString(label);
        writer.WriteDictionaryEnd(props);
        writer.WriteStructureStart();
        writer.WriteObjectPath(session);
        writer.WriteArray(Array.Empty<byte>());
        writer.WriteArray("test-master-password"u8.ToArray());
        writer.WriteString("text/plain");
        var collection = await connection.CallMethodAsync(Finish(ref writer),
            static (m, _) => m.GetBodyReader().ReadObjectPathAsString(), null);

        writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader("org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service", "Lock", "ao");
        writer.WriteArray(new[] { new ObjectPath(collection) });
        var prompt = await connection.CallMethodAsync(Finish(ref writer), static (m, _) =>
        {
            var r = m.GetBodyReader();
            r.ReadArrayOfObjectPath();
            return r.ReadObjectPathAsString();
        }, null);
        Assert.Equal("/", prompt);
        return collection;
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
