using Carapace.Host.Auth;
using Carapace.Host.Gateway;
using Microsoft.Extensions.Primitives;

namespace Carapace.Host.Tests.Auth;

public sealed class BearerHeaderTests
{
    [Fact]
    public void Exact_prefix_yields_the_trimmed_credential()
    {
        Assert.Equal("abc", BearerHeader.Parse(new StringValues("Bearer  abc ")).Credential);
    }

    [Theory]
    [InlineData("bearer abc", "unsupported authorization scheme")]
    [InlineData("Bearer    ", "empty bearer credential")]
    public void Problems_are_named(string header, string problem)
    {
        var parsed = BearerHeader.Parse(new StringValues(header));

        Assert.Null(parsed.Credential);
        Assert.StartsWith(problem, parsed.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_repeated_headers_are_problems()
    {
        Assert.Equal("missing credentials", BearerHeader.Parse(StringValues.Empty).Problem);
        Assert.Equal("multiple Authorization headers", BearerHeader.Parse(new StringValues(["Bearer a", "Bearer a"])).Problem);
    }

    [Fact]
    public void Credentials_compare_by_digest()
    {
        var credentials = new GatewayCredentials(GatewayAuthMode.Token, "s3cret", "test");

        Assert.True(credentials.Matches("s3cret"));
        Assert.False(credentials.Matches("s3cret "));
        Assert.False(credentials.Matches("S3CRET"));
        Assert.False(credentials.Matches(new string('x', 10_000)));
        Assert.False(new GatewayCredentials(GatewayAuthMode.Token, null, null).Matches(""));
    }
}
