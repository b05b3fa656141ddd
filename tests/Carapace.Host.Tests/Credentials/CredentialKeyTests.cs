using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;

namespace Carapace.Host.Tests.Credentials;

public sealed class CredentialKeyTests
{
    [Theory]
    [InlineData("gateway:token:default")]
    [InlineData("plugin:weather:apiKey")]
    [InlineData("plugin:com.example.weather:api_key-2")]
    [InlineData("provider:openai:default")]
    public void Valid_keys_parse_and_round_trip(string text)
    {
        var key = CredentialKey.Parse(text);

        Assert.Equal(text, key.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("gateway:token")]
    [InlineData("gateway:token:default:extra")]
    [InlineData("Gateway:token:default")]
    [InlineData("gateway::default")]
    [InlineData("gateway:token:")]
    [InlineData("gateway:..:default")]
    [InlineData("gateway:a/b:default")]
    [InlineData("gateway:token:de fault")]
    [InlineData("gateway:token:dé")]
    public void Invalid_keys_are_rejected_with_a_stable_code(string text)
    {
        var error = Assert.Throws<CredentialException>(() => CredentialKey.Parse(text));

        Assert.Equal(CredentialErrorCodes.InvalidKey, error.Code);
    }

    [Fact]
    public void Keys_longer_than_64_characters_are_rejected()
    {
        var exactly64 = "plugin:p:" + new string('a', 64 - "plugin:p:".Length);
        Assert.Equal(64, CredentialKey.Parse(exactly64).ToString().Length);

        var error = Assert.Throws<CredentialException>(() => CredentialKey.Parse(exactly64 + "a"));
        Assert.Contains("64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plugin_keys_know_their_owner()
    {
        Assert.Equal("weather", CredentialKey.Parse("plugin:weather:apiKey").OwnerPlugin);
        Assert.Null(CredentialKey.Parse("gateway:token:default").OwnerPlugin);
    }
}
