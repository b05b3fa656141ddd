using Carapace.Host.Secrets;

namespace Carapace.Host.Tests.Secrets;

public sealed class ConfigSecretDecryptorTests
{
    private const string Password = "correct horse battery staple";
    private const string PinnedEnvelope =
        "enc:v2:oKGio6Slpqeoqaqr:j0qwhfQjxQ0iByycX/22kLupnOUUEvuDNW6Kq8Wki2JzRQ==:Y2FyYXBhY2Utc2FsdC0xNg==";

    [Fact]
    public void Envelopes_are_decrypted_in_place_and_other_values_kept()
    {
        var values = new Dictionary<string, string?>
        {
            ["gateway:auth:token"] = PinnedEnvelope,
            ["gateway:port"] = "18789",
            ["logging:level"] = null,
        };

        var decrypted = ConfigSecretDecryptor.DecryptInPlace(values, Password);

        Assert.Equal(["gateway:auth:token"], decrypted);
        Assert.Equal("sk-test-1234567890", values["gateway:auth:token"]);
        Assert.Equal("18789", values["gateway:port"]);
        Assert.Null(values["logging:level"]);
    }

    [Fact]
    public void Missing_password_names_the_key()
    {
        var values = new Dictionary<string, string?> { ["providers:openai:apiKey"] = PinnedEnvelope };

        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretDecryptor.DecryptInPlace(values, null));

        Assert.Equal(ConfigSecretException.PasswordMissing, error.Code);
        Assert.Equal("providers:openai:apiKey", error.ConfigKey);
        Assert.Contains("providers:openai:apiKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("CARAPACE_CONFIG_PASSWORD", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("enc:v1:abc:def:ghi")]
    [InlineData("enc:v3:abc:def:ghi")]
    public void Other_versions_fail_the_load_naming_the_key(string value)
    {
        var values = new Dictionary<string, string?> { ["gateway:hooks:token"] = value };

        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretDecryptor.DecryptInPlace(values, Password));

        Assert.Equal(ConfigSecretException.UnsupportedVersion, error.Code);
        Assert.Contains("gateway:hooks:token", error.Message, StringComparison.Ordinal);
        Assert.Contains("only enc:v2 is supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_password_names_the_key()
    {
        var values = new Dictionary<string, string?> { ["gateway:auth:password"] = PinnedEnvelope };

        var error = Assert.Throws<ConfigSecretException>(() => ConfigSecretDecryptor.DecryptInPlace(values, "nope"));

        Assert.Equal(ConfigSecretException.DecryptFailed, error.Code);
        Assert.Equal("gateway:auth:password", error.ConfigKey);
    }

    [Fact]
    public void Password_comes_from_the_environment_only_when_non_empty()
    {
        Assert.Equal("pw", ConfigSecretDecryptor.PasswordFromEnvironment(n => n == "CARAPACE_CONFIG_PASSWORD" ? "pw" : null));
        Assert.Null(ConfigSecretDecryptor.PasswordFromEnvironment(_ => ""));
    }
}
