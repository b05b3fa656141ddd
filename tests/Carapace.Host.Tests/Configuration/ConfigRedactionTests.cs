using Carapace.Host.Configuration;
using Carapace.Host.Secrets;

namespace Carapace.Host.Tests.Configuration;

public sealed class ConfigRedactionTests
{
    [Theory]
    [InlineData("gateway:auth:token", true)]
    [InlineData("gateway:auth:password", true)]
    [InlineData("channels:webhook:secret", true)]
    [InlineData("plugins:x:apiKey", true)]
    [InlineData("plugins:x:privateKey", true)]
    [InlineData("gateway:auth:mode", false)]
    [InlineData("gateway:port", false)]
    public void Secret_keys_are_recognised(string key, bool secret) => Assert.Equal(secret, ConfigSecretRedaction.IsSecret(key, "value"));

    [Fact]
    public void Tree_redacts_secrets_and_envelopes_and_rebuilds_lists()
    {
        var config = CarapaceConfigLoader.LoadFromText(
            "gateway:\n  auth:\n    token: plain-secret\nplugins:\n  load:\n    paths: [/a, /b]\n  x:\n    endpoint: enc:v2:aaa:bbb:ccc\n",
            "t", null, _ => null, decryptSecrets: false);

        var json = ConfigTree.Build(config).ToJsonString();

        Assert.DoesNotContain("plain-secret", json, StringComparison.Ordinal);
        Assert.DoesNotContain("enc:v2", json, StringComparison.Ordinal);
        Assert.Contains("\"token\":\"[REDACTED]\"", json, StringComparison.Ordinal);
        Assert.Contains("\"paths\":[\"/a\",\"/b\"]", json, StringComparison.Ordinal);
    }
}
