using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Api;

public sealed class CredentialsApiTests
{
    private const string Token = "cred-api-token";

    private static Task<GatewayFixture> StartAsync() => GatewayFixture.StartAsync(
        "credentials:\n  backend: encrypted-file\n",
        new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token, ["CARAPACE_CONFIG_PASSWORD"] = "pw" });

    [Fact]
    public async Task Put_list_and_delete_never_return_the_value()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var put = await client.PutAsJsonAsync("/control/credentials/plugin:demo:key", new { value = "value-that-must-not-leak" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var list = await client.GetStringAsync("/control/credentials");
        Assert.DoesNotContain("value-that-must-not-leak", list, StringComparison.Ordinal);
        var json = JsonDocument.Parse(list).RootElement;
        Assert.Equal("encrypted-file", json.GetProperty("backend").GetString());
        Assert.Contains(json.GetProperty("credentials").EnumerateArray(), e => e.GetProperty("key").GetString() == "plugin:demo:key");

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync("/control/credentials/plugin:demo:key")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/control/credentials/plugin:demo:key"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Bad_key_and_bad_body_are_400()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        await ProblemAssert.IsProblemAsync(await client.PutAsJsonAsync("/control/credentials/nocolons", new { value = "x" }),
            HttpStatusCode.BadRequest, "invalid_credential_key");
        await ProblemAssert.IsProblemAsync(await client.PutAsync("/control/credentials/plugin:demo:key", new StringContent("{\"value\":5}")),
            HttpStatusCode.BadRequest, "invalid_request");
        await ProblemAssert.IsProblemAsync(await client.PutAsync("/control/credentials/plugin:demo:key", new StringContent("not json")),
            HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Credentials_endpoints_require_auth()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client();

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/credentials"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await client.PutAsJsonAsync("/control/credentials/plugin:demo:key", new { value = "x" }),
            HttpStatusCode.Unauthorized, "unauthorized");
    }
}
