using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Api;

public sealed class ConfigApiTests
{
    [Fact]
    public async Task Config_is_returned_with_secrets_redacted_and_the_file_hash()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  auth:\n    token: very-secret-token\n");
        using var client = gateway.Client("very-secret-token");

        var body = await client.GetStringAsync("/control/config");

        Assert.DoesNotContain("very-secret-token", body, StringComparison.Ordinal);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("[REDACTED]", json.GetProperty("config").GetProperty("gateway").GetProperty("auth").GetProperty("token").GetString());
        Assert.Equal(64, json.GetProperty("hash").GetString()!.Length);
    }
}
