using Carapace.Host.Secrets;

namespace Carapace.Host.Tests.Secrets;

public sealed class ConfigSecretRedactionTests
{
    [Theory]
    [InlineData("gateway:auth:token")]
    [InlineData("gateway:auth:password")]
    [InlineData("gateway.hooks.token")]
    [InlineData("providers:openai:apiKey")]
    [InlineData("providers:x:api_key")]
    [InlineData("auth:profiles:providers:google:clientSecret")]
    [InlineData("channels:telegram:botToken")]
    [InlineData("channels:slack:signingSecret")]
    [InlineData("tls:privateKey")]
    public void Secret_names_are_secret(string key) => Assert.True(ConfigSecretRedaction.IsSecret(key, "value"));

    [Theory]
    [InlineData("gateway:port")]
    [InlineData("gateway:bind")]
    [InlineData("logging:level")]
    public void Ordinary_names_are_not(string key) => Assert.False(ConfigSecretRedaction.IsSecret(key, "value"));

    [Fact]
    public void Any_envelope_value_is_secret_whatever_the_key()
    {
        Assert.True(ConfigSecretRedaction.IsSecret("custom:field", "enc:v2:a:b:c"));
        Assert.True(ConfigSecretRedaction.IsSecret("custom:field", "enc:v1:a:b:c"));
    }

    [Fact]
    public void Redact_replaces_secret_values_and_known_decrypted_keys()
    {
        var redacted = ConfigSecretRedaction.Redact(new Dictionary<string, string?>
        {
            ["gateway:auth:token"] = "abc",
            ["gateway:port"] = "18789",
            ["custom:field"] = "was-decrypted",
            ["gateway:auth:password"] = null,
        }, new HashSet<string> { "custom:field" });

        Assert.Equal(ConfigSecretRedaction.Placeholder, redacted["gateway:auth:token"]);
        Assert.Equal("18789", redacted["gateway:port"]);
        Assert.Equal(ConfigSecretRedaction.Placeholder, redacted["custom:field"]);
        Assert.Null(redacted["gateway:auth:password"]);
    }
}
