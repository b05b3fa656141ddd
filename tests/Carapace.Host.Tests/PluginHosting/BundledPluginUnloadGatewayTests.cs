using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Host.Outbound;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>
/// Each bundled plugin, used once through the real gateway with the real host services (the HTTP guard,
/// the sandbox broker, the webhook route), then disabled: its load context must be collected, which
/// proves no host service kept a reference into it.
/// </summary>
public sealed class BundledPluginUnloadGatewayTests
{
    private const string Token = "bundled-unload-token";
    private const string Secret = "0123456789abcdef-unload";

    [Theory]
    [InlineData("webhook")]
    [InlineData("files")]
    [InlineData("shell")]
    [InlineData("http-fetch")]
    public async Task Bundled_plugin_used_once_then_disabled_is_verified_unloaded(string id)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "note.txt"), "unload me");
        await using var server = Outbound.LoopbackServer.Respond(IPAddress.Loopback, 200, "fetched");
        var yaml = $"""
            network:
              allowPrivate: [127.0.0.1]
            plugins:
              files:
                roots: ["{dir.Path}"]
              http-fetch:
                grants:
                  http: ["http://127.0.0.1"]
              webhook:
                endpoints:
                  ci:
                    secret: "{Secret}"
            channels:
              webhook:
                allowFrom: [ci]
                tools: [files_read]
            """;
        await using var gateway = await GatewayFixture.StartAsync(yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token },
            withPlugins: true,
            // http-fetch's requests reach the loopback server whatever port the URL names.
            configureServices: services => services.AddSingleton(sp => new SafeHttp(
                sp.GetRequiredService<AddressPolicy>(),
                sp.GetRequiredService<IHostResolver>(),
                sp.GetRequiredService<IOptions<OutboundOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                new Outbound.RecordingConnector(new IPEndPoint(IPAddress.Loopback, server.Port)).ConnectAsync)));
        using var client = gateway.Client(Token);

        await ExerciseAsync(gateway, client, id);

        var disable = await client.PostAsync($"/control/plugins/{id}/disable", null);
        Assert.True(disable.IsSuccessStatusCode, await disable.Content.ReadAsStringAsync());
        var plugin = JsonDocument.Parse(await client.GetStringAsync($"/control/plugins/{id}")).RootElement;
        Assert.Equal("disabled", plugin.GetProperty("state").GetString());
        var unload = plugin.GetProperty("unload");
        Assert.True(unload.GetProperty("verified").GetBoolean(), $"{id} leaked after use: {plugin}");
    }

    private static async Task ExerciseAsync(GatewayFixture gateway, HttpClient client, string id)
    {
        switch (id)
        {
            case "webhook":
                // Inbound, routed to files_read; the reply has nowhere to go (no outboundUrl) and is only logged.
                var body = """{"text":"/files_read path=note.txt","conversation":"u"}""";
                using (var signed = new HttpRequestMessage(HttpMethod.Post, "/plugins/webhook/ci") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
                {
                    signed.Headers.Add("x-carapace-signature",
                        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(body))));
                    Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(signed)).StatusCode);
                }

                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (!gateway.LogContains("reply to webhook/ci:u failed") && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }

                Assert.True(gateway.LogContains("reply to webhook/ci:u failed"), "the routed message should have been answered");
                break;
            case "files":
                await AssertOkAsync(client, "files_read", new { path = "note.txt" }, "unload me");
                break;
            case "shell":
                await AssertOkAsync(client, "shell", new { command = "/bin/echo", args = new[] { "from the sandbox" } }, "from the sandbox");
                break;
            case "http-fetch":
                await AssertOkAsync(client, "http_fetch", new { url = "http://127.0.0.1/x" }, "fetched");
                break;
        }
    }

    private static async Task AssertOkAsync(HttpClient client, string tool, object args, string expected)
    {
        var response = await client.PostAsJsonAsync($"/control/tools/{tool}/invoke", args);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Contains(expected, text, StringComparison.Ordinal);
    }
}
