using Carapace.Plugins.Signing;
using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Tests.Signing;

public sealed class SignaturePolicyTests
{
    private static readonly string KeyA = new('a', 64);
    private static readonly string KeyB = new('B', 64);

    private static SignaturePolicy Read(params (string Key, string Value)[] values) =>
        SignaturePolicy.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void Without_configuration_signatures_are_required_and_nobody_is_trusted()
    {
        var policy = Read();

        Assert.True(policy.RequireSignature);
        Assert.Empty(policy.TrustedPublishers);
    }

    [Fact]
    public void Trusted_publishers_and_require_signature_are_read()
    {
        var policy = Read(
            ("plugins:signature:requireSignature", "false"),
            ("plugins:signature:trustedPublishers:0", KeyA),
            ("plugins:signature:trustedPublishers:1", KeyB));

        Assert.False(policy.RequireSignature);
        Assert.True(policy.IsTrusted(PublisherKey.Parse(KeyA)));
        Assert.True(policy.IsTrusted(PublisherKey.Parse(KeyB.ToLowerInvariant())));
    }

    [Fact]
    public void Enabled_false_only_relaxes_the_requirement()
    {
        Assert.False(Read(("plugins:signature:enabled", "false")).RequireSignature);
        Assert.True(Read(("plugins:signature:enabled", "true")).RequireSignature);
    }

    [Fact]
    public void Invalid_values_are_all_reported()
    {
        var ex = Assert.Throws<SignaturePolicyException>(() => Read(
            ("plugins:signature:requireSignature", "yes"),
            ("plugins:signature:trustedPublishers:0", "not-a-key")));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Contains("plugins.signature.requireSignature", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("trustedPublishers[0]", StringComparison.Ordinal));
    }
}
