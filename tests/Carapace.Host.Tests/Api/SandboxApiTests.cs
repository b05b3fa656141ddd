using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Api;

public sealed class SandboxApiTests
{
    [Fact]
    public async Task Sandbox_report_says_what_this_machine_enforces()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = "t" });
        using var client = gateway.Client("t");

        var json = JsonDocument.Parse(await client.GetStringAsync("/control/sandbox")).RootElement;

        Assert.Equal("linux", json.GetProperty("os").GetString());
        Assert.Equal("passed", json.GetProperty("selfTest").GetString());
        Assert.False(json.GetProperty("runsRefused").GetBoolean());
        Assert.NotEmpty(json.GetProperty("restrictions").EnumerateArray());
    }
}
