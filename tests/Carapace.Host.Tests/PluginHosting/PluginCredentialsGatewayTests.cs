using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>
/// A real plugin (tests/Fixtures/SecretsToolPlugin, manifest <c>credentials: true</c>) using
/// <c>IPluginCredentials</c> in the real runtime behind the real gateway, with the encrypted-file store.
/// </summary>
public sealed class PluginCredentialsGatewayTests
{
    private const string Token = "plugin-credentials-token";

    private static Task<GatewayFixture> StartAsync(string yaml) => GatewayFixture.StartAsync(
        "credentials:\n  backend: encrypted-file\n" + yaml,
        new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token, ["CARAPACE_CONFIG_PASSWORD"] = "plugin-store-password" },
        withPlugins: true);

    private static Task<HttpResponseMessage> InvokeAsync(HttpClient client, object args) =>
        client.PostAsJsonAsync("/control/tools/secret_store/invoke", args);

    [Fact]
    public async Task Granted_plugin_writes_and_reads_its_own_scoped_secret()
    {
        await using var gateway = await StartAsync("");
        using var client = gateway.Client(Token);

        Assert.Equal(HttpStatusCode.OK, (await InvokeAsync(client, new { op = "set", name = "apiKey", value = "plugin-secret-1" })).StatusCode);
        var get = await InvokeAsync(client, new { op = "get", name = "apiKey" });

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("plugin-secret-1",
            JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("output").GetProperty("value").GetString());
        var store = gateway.Service<ICredentialStore>();
        Assert.Equal("plugin-secret-1", await store.GetAsync(CredentialKey.Parse("plugin:secrets-tool:apiKey"), CancellationToken.None));
        Assert.Contains(await store.ListAsync(CancellationToken.None), m => m.Key == "plugin:secrets-tool:apiKey" && m.OwnerPlugin == "secrets-tool");
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Any(x => x.GetProperty("event").GetString() == "credential_written"
                            && x.GetProperty("data").GetProperty("key").GetString() == "plugin:secrets-tool:apiKey"),
            "the audited plugin credential write");
        Assert.DoesNotContain(events, e => e.GetRawText().Contains("plugin-secret-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Revoked_plugin_gets_capability_denied_and_the_denial_is_audited()
    {
        await using var gateway = await StartAsync("plugins:\n  secrets-tool:\n    grants:\n      credentials: false\n");
        using var client = gateway.Client(Token);

        var problem = await ProblemAssert.IsProblemAsync(
            await InvokeAsync(client, new { op = "set", name = "apiKey", value = "never-stored" }), HttpStatusCode.BadGateway, "tool_failed");

        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("CapabilityDeniedException", detail, StringComparison.Ordinal);
        Assert.Contains("credentials", detail, StringComparison.Ordinal);
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Any(x => x.GetProperty("event").GetString() == "capability_denied"
                            && x.GetProperty("data").GetProperty("plugin_id").GetString() == "secrets-tool"
                            && x.GetProperty("data").GetProperty("capability").GetString() == "credentials"
                            && x.GetProperty("data").GetProperty("operation").GetString() == "write"),
            "the audited credentials denial");
        Assert.DoesNotContain(events, e => e.GetRawText().Contains("never-stored", StringComparison.Ordinal));
        Assert.Null(await gateway.Service<ICredentialStore>().GetAsync(CredentialKey.Parse("plugin:secrets-tool:apiKey"), CancellationToken.None));
    }
}
