using System.Net;
using Carapace.Host.Gateway;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Gateway;

public sealed class BindTests
{
    [Theory]
    [InlineData(null, "127.0.0.1")]
    [InlineData("loopback", "127.0.0.1")]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("lan", "0.0.0.0")]
    [InlineData("all", "0.0.0.0")]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData("192.168.1.10", "192.168.1.10")]
    public void Bind_values_parse_to_addresses(string? text, string expected)
    {
        Assert.True(BindAddress.TryParse(text, out var address));
        Assert.Equal(IPAddress.Parse(expected), address);
    }

    [Theory]
    [InlineData("everywhere")]
    [InlineData("300.1.1.1")]
    [InlineData("fe80::1%eth0")]
    public void Bad_bind_values_are_rejected(string text) => Assert.False(BindAddress.TryParse(text, out _));

    [Fact]
    public async Task Default_bind_is_loopback()
    {
        await using var gateway = await GatewayFixture.StartAsync();

        Assert.Equal("127.0.0.1", gateway.BaseAddress.Host);
    }

    [Fact]
    public async Task Binding_beyond_loopback_logs_a_warning()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  bind: lan\n");

        Assert.True(gateway.LogContains("beyond loopback"));
    }

    [Fact]
    public async Task Loopback_bind_logs_no_exposure_warning()
    {
        await using var gateway = await GatewayFixture.StartAsync();

        Assert.False(gateway.LogContains("beyond loopback"));
        Assert.True(gateway.LogContains("Listening on http://127.0.0.1:"));
    }
}
