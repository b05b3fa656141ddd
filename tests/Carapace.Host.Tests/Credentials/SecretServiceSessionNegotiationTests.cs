using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;
using Carapace.Host.Credentials.SecretService;
using Tmds.DBus.Protocol;

namespace Carapace.Host.Tests.Credentials;

/// <summary>
/// The session choice against scripted OpenSession answers: a service that refuses the DH algorithm is
/// what gnome-keyring never does, so the refusal paths are driven here; the accepted DH path also runs
/// against the real gnome-keyring in <see cref="SecretServiceCredentialBackendTests"/>.
/// </summary>
public sealed class SecretServiceSessionNegotiationTests
{
    private readonly List<string> _opened = [];
    private readonly List<string> _closed = [];

    private Task Close(string path)
    {
        _closed.Add(path);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_service_that_does_not_support_dh_is_refused_and_no_plain_session_is_opened()
    {
        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            SecretServiceSessionNegotiation.NegotiateAsync(plainRequested: false, (algorithm, _) =>
            {
                _opened.Add(algorithm);
                return algorithm == SecretServiceSessionCrypto.DhAlgorithm
                    ? throw new DBusErrorReplyException(SecretServiceSessionNegotiation.NotSupportedError, "no dh here")
                    : Task.FromResult((Array.Empty<byte>(), "/session/plain"));
            }, Close));

        Assert.Equal(CredentialErrorCodes.StoreUnavailable, error.Code);
        Assert.Equal([SecretServiceSessionCrypto.DhAlgorithm], _opened);
        Assert.Contains("does not support", error.Message, StringComparison.Ordinal);
        Assert.Contains("credentials.secretService.session: plain", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_exchanges_that_keep_failing_are_refused_instead_of_falling_back()
    {
        var counter = 0;
        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            SecretServiceSessionNegotiation.NegotiateAsync(plainRequested: false, (algorithm, _) =>
            {
                _opened.Add(algorithm);
                return Task.FromResult((new byte[] { 5 }, $"/session/{counter++}"));
            }, Close, createCrypto: (_, _) => null));

        Assert.Equal(Enumerable.Repeat(SecretServiceSessionCrypto.DhAlgorithm, SecretServiceSessionNegotiation.MaxKeyExchangeAttempts), _opened);
        Assert.Equal(SecretServiceSessionNegotiation.MaxKeyExchangeAttempts, _closed.Count); // every discarded session is closed
        Assert.Contains("will not fall back to a plain session", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_is_opened_only_when_asked_for()
    {
        var (path, crypto) = await SecretServiceSessionNegotiation.NegotiateAsync(plainRequested: true, (algorithm, input) =>
        {
            _opened.Add(algorithm);
            Assert.Null(input);
            return Task.FromResult((Array.Empty<byte>(), "/session/plain"));
        }, Close);

        Assert.Equal([SecretServiceSessionCrypto.PlainAlgorithm], _opened);
        Assert.Equal("/session/plain", path);
        Assert.False(crypto.IsEncrypted);
    }

    [Fact]
    public async Task A_service_that_answers_the_dh_exchange_gives_an_encrypted_session_with_the_same_key()
    {
        // The fake service does its half of the exchange with its own key pair.
        var (servicePrivate, servicePublic) = SecretServiceSessionCrypto.CreateKeyPair();
        SecretServiceSessionCrypto? serviceSide = null;
        var (path, crypto) = await SecretServiceSessionNegotiation.NegotiateAsync(plainRequested: false, (algorithm, input) =>
        {
            _opened.Add(algorithm);
            serviceSide = SecretServiceSessionCrypto.TryCreateDh(servicePrivate, input!);
            return Task.FromResult((servicePublic, $"/session/{_opened.Count}"));
        }, Close, createCrypto: (x, y) => serviceSide is null ? null : SecretServiceSessionCrypto.TryCreateDh(x, y));

        Assert.True(crypto.IsEncrypted);
        Assert.All(_opened, a => Assert.Equal(SecretServiceSessionCrypto.DhAlgorithm, a));
        Assert.Equal($"/session/{_opened.Count}", path);
        var (iv, sealedValue) = crypto.Encrypt("hello"u8.ToArray());
        Assert.Equal("hello"u8.ToArray(), serviceSide!.Decrypt(iv, sealedValue));
    }
}
