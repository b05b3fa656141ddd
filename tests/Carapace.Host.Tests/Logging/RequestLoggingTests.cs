using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.Logging;

public sealed class RequestLoggingTests
{
    [Fact]
    public async Task Request_lines_are_off_by_default_and_name_the_client_when_on()
    {
        await using (var quiet = await GatewayFixture.StartAsync())
        {
            using var client = quiet.Client();
            await client.GetAsync("/health");
            Assert.False(quiet.LogContains("HTTP GET /health"));
        }

        await using var gateway = await GatewayFixture.StartAsync("logging:\n  requests: true\n  file:\n    enabled: false\n");
        using var remote = gateway.RemoteClient();
        await remote.GetAsync("/health");

        await Poll.UntilAsync(() => gateway.LogContains("HTTP GET /health from 127.0.0.2 responded 200"), TimeSpan.FromSeconds(10), "the request line");
    }
}
