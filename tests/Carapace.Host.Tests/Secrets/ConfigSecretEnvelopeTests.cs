using System.Text;
using Carapace.Host.Secrets;

namespace Carapace.Host.Tests.Secrets;

public sealed class ConfigSecretEnvelopeTests
{
    private const string Password = "correct horse battery staple";

    // Produced once outside Carapace: key from the reference argon2 CLI
    // (`argon2 carapace-salt-16 -id -t 3 -m 16 -p 1 -l 32 -r`), sealed with Python's AESGCM
    // (nonce a0..ab, empty AAD). Pins byte compatibility with the upstream enc:v2 format.
    private const string PinnedEnvelope =
        "enc:v2:oKGio6Slpqeoqaqr:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:Y2FyYXBhY2Utc2FsdC0xNg==";
    private const string PinnedPlaintext = "sk-test-1234567890";

    [Fact]
    public void Argon2id_matches_the_reference_implementation()
    {
        var key = Argon2idKdf.DeriveKey(Password, "carapace-salt-16"u8);

        Assert.Equal("86ef92649414159daaef4f42fd525a91c8fa8c450b26ff1b2ceb44a9b4cc5e7c", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Pinned_known_vector_opens()
    {
        Assert.Equal(PinnedPlaintext, ConfigSecretEnvelope.Open(PinnedEnvelope, Password));
    }

    [Fact]
    public void Seal_with_the_pinned_nonce_and_salt_reproduces_the_pinned_vector()
    {
        var sealedValue = ConfigSecretEnvelope.Seal(PinnedPlaintext, Password,
            Enumerable.Range(0xa0, 12).Select(b => (byte)b).ToArray(), "carapace-salt-16"u8.ToArray());

        Assert.Equal(PinnedEnvelope, sealedValue);
    }

    [Fact]
    public void Seal_then_open_round_trips_with_the_upstream_shape()
    {
        var sealedValue = ConfigSecretEnvelope.Seal("hunter2 ✓ ünïcode", Password);

        var parts = sealedValue.Split(':');
        Assert.Equal(5, parts.Length);
        Assert.Equal(["enc", "v2"], parts[..2]);
        Assert.Equal(12, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(Encoding.UTF8.GetByteCount("hunter2 ✓ ünïcode") + 16, Convert.FromBase64String(parts[3]).Length);
        Assert.Equal(16, Convert.FromBase64String(parts[4]).Length);
        Assert.True(ConfigSecretEnvelope.IsEnvelope(sealedValue));
        Assert.Equal("hunter2 ✓ ünïcode", ConfigSecretEnvelope.Open(sealedValue, Password));
    }

    [Fact]
    public void Each_seal_uses_a_fresh_nonce_and_salt()
    {
        Assert.NotEqual(ConfigSecretEnvelope.Seal("same", Password), ConfigSecretEnvelope.Seal("same", Password));
    }

    [Theory]
    [InlineData("enc:v1:oKGio6Slpqeoqaqr:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:Y2FyYXBhY2Utc2FsdC0xNg==")]
    [InlineData("enc:v3:oKGio6Slpqeoqaqr:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:Y2FyYXBhY2Utc2FsdC0xNg==")]
    [InlineData("enc:v10:abc")]
    public void Other_versions_are_rejected(string envelope)
    {
        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretEnvelope.Open(envelope, Password));

        Assert.Equal(ConfigSecretException.UnsupportedVersion, error.Code);
        Assert.Contains("only enc:v2 is supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tampered_ciphertext_is_rejected()
    {
        var parts = PinnedEnvelope.Split(':');
        var bytes = Convert.FromBase64String(parts[3]);
        bytes[0] ^= 0x01;
        parts[3] = Convert.ToBase64String(bytes);

        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretEnvelope.Open(string.Join(':', parts), Password));

        Assert.Equal(ConfigSecretException.DecryptFailed, error.Code);
        Assert.DoesNotContain(PinnedPlaintext, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_password_is_rejected()
    {
        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretEnvelope.Open(PinnedEnvelope, "wrong password"));

        Assert.Equal(ConfigSecretException.DecryptFailed, error.Code);
    }

    [Theory]
    [InlineData("enc:v2:only-two:parts")]
    [InlineData("enc:v2:!!!:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:Y2FyYXBhY2Utc2FsdC0xNg==")]
    [InlineData("enc:v2:oKGio6Sl:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:Y2FyYXBhY2Utc2FsdC0xNg==")]
    [InlineData("enc:v2:oKGio6Slpqeoqaqr:AAAA:Y2FyYXBhY2Utc2FsdC0xNg==")]
    [InlineData("enc:v2:oKGio6Slpqeoqaqr:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:c2hvcnQ=")]
    public void Malformed_envelopes_are_rejected(string envelope)
    {
        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretEnvelope.Open(envelope, Password));

        Assert.Equal(ConfigSecretException.Malformed, error.Code);
    }

    [Fact]
    public void Missing_password_is_a_clear_error()
    {
        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretEnvelope.Open(PinnedEnvelope, ""));

        Assert.Equal(ConfigSecretException.PasswordMissing, error.Code);
        Assert.Contains("CARAPACE_CONFIG_PASSWORD", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("enc:v2:x", true)]
    [InlineData("enc:v1:x", false)]
    [InlineData("plain", false)]
    [InlineData(null, false)]
    public void IsEnvelope_recognises_only_v2(string? value, bool expected) =>
        Assert.Equal(expected, ConfigSecretEnvelope.IsEnvelope(value));
}
