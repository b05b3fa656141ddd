using System.Numerics;
using Tmds.DBus.Protocol;

namespace Carapace.Host.Credentials.SecretService;

/// <summary>
/// Chooses the transport of a Secret Service session. With <c>credentials.secretService.session: dh</c>
/// (the default) only a <c>dh-ietf1024-sha256-aes128-cbc-pkcs7</c> session is accepted: a service that
/// answers NotSupported, or key exchanges that keep failing, is an error, never a quiet downgrade to
/// <c>plain</c> (which sends every secret over the bus as is). <c>plain</c> is used only when the operator
/// asks for it. Separate from the D-Bus calls so the refusal can be tested without a misbehaving service.
/// </summary>
internal static class SecretServiceSessionNegotiation
{
    public const string NotSupportedError = "org.freedesktop.DBus.Error.NotSupported";

    /// <summary>A shared secret with a leading zero byte is discarded (1 in 256); four in a row is not chance.</summary>
    public const int MaxKeyExchangeAttempts = 4;

    /// <summary>Calls OpenSession(algorithm, input) and returns the service's output bytes and the session path.</summary>
    public delegate Task<(byte[] Output, string Path)> OpenSession(string algorithm, byte[]? input);

    public delegate SecretServiceSessionCrypto? CreateCrypto(BigInteger privateKey, byte[] servicePublicKey);

    public static async Task<(string Path, SecretServiceSessionCrypto Crypto)> NegotiateAsync(
        bool plainRequested, OpenSession open, Func<string, Task> close, CreateCrypto? createCrypto = null)
    {
        if (plainRequested)
        {
            var (_, plainPath) = await open(SecretServiceSessionCrypto.PlainAlgorithm, null);
            return (plainPath, SecretServiceSessionCrypto.Plain);
        }

        createCrypto ??= (x, y) => SecretServiceSessionCrypto.TryCreateDh(x, y);
        for (var attempt = 0; attempt < MaxKeyExchangeAttempts; attempt++)
        {
            var (privateKey, publicKey) = SecretServiceSessionCrypto.CreateKeyPair();
            byte[] servicePublic;
            string path;
            try
            {
                (servicePublic, path) = await open(SecretServiceSessionCrypto.DhAlgorithm, publicKey);
            }
            catch (DBusErrorReplyException ex) when (ex.ErrorName == NotSupportedError)
            {
                throw Refused($"the Secret Service does not support the {SecretServiceSessionCrypto.DhAlgorithm} session algorithm", ex);
            }

            var crypto = createCrypto(privateKey, servicePublic);
            if (crypto is not null)
            {
                return (path, crypto);
            }

            await close(path);
        }

        throw Refused($"{MaxKeyExchangeAttempts} {SecretServiceSessionCrypto.DhAlgorithm} key exchanges with the Secret Service in a row gave no usable key", null);
    }

    private static CredentialStoreUnavailableException Refused(string why, Exception? inner) =>
        new($"{why}; Carapace will not fall back to a plain session, which sends secrets over the session bus unencrypted",
            "use a Secret Service that supports it (gnome-keyring does), or accept unencrypted transport on this " +
            "private bus explicitly with credentials.secretService.session: plain",
            inner);
}
