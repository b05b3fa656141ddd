using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task Put_value_read_back_through_the_store()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/control/credentials/plugin:demo:key", new { value = "ünïcode value" })).StatusCode);

        var store = gateway.Service<ICredentialStore>();
        Assert.Equal("ünïcode value", await store.GetAsync(CredentialKey.Parse("plugin:demo:key"), CancellationToken.None));
    }

    [Fact]
    public async Task Put_of_a_value_one_byte_over_64_KiB_is_400_value_too_large()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var response = await client.PutAsJsonAsync("/control/credentials/plugin:demo:big", new { value = new string('a', 65_537) });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "credential_value_too_large");
        Assert.Null(await gateway.Service<ICredentialStore>().GetAsync(CredentialKey.Parse("plugin:demo:big"), CancellationToken.None));
    }

    [Fact]
    public async Task Put_of_a_64_KiB_value_fits_the_route_body_cap_even_fully_escaped()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);
        // 65 536 control characters: the largest value, in the longest JSON spelling (6 bytes each),
        // about 384 KiB of body, past the 256 KiB default cap of control routes.
        var value = new string('\u0001', 65_536);
        var body = "{\"value\":\"" + string.Concat(Enumerable.Repeat("\\u0001", value.Length)) + "\"}";
        Assert.True(body.Length > 256 * 1024);

        var response = await client.PutAsync("/control/credentials/plugin:demo:max", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(value, await gateway.Service<ICredentialStore>().GetAsync(CredentialKey.Parse("plugin:demo:max"), CancellationToken.None));
    }

    [Fact]
    public async Task Put_and_delete_in_env_only_mode_are_503_store_unavailable()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            "credentials:\n  backend: env-only\n", new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var client = gateway.Client(Token);

        var put = await ProblemAssert.IsProblemAsync(
            await client.PutAsJsonAsync("/control/credentials/plugin:demo:key", new { value = "x" }),
            HttpStatusCode.ServiceUnavailable, "credential_store_unavailable");
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/control/credentials/plugin:demo:key"),
            HttpStatusCode.ServiceUnavailable, "credential_store_unavailable");

        Assert.Contains("env-only", put.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(gateway.StateDir, "credentials"))
                     && Directory.EnumerateFiles(Path.Combine(gateway.StateDir, "credentials"), "store*").Any());
    }

    [Theory]
    [InlineData("{\"value\":\"\\ud800\"}")]
    [InlineData("{\"value\":\"\\udc00\"}")]
    [InlineData("{\"value\":\"ok\\ud800x\"}")]
    public async Task Put_of_a_lone_surrogate_escape_is_400_invalid_request(string body)
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var problem = await ProblemAssert.IsProblemAsync(
            await client.PutAsync("/control/credentials/plugin:demo:key", new StringContent(body)),
            HttpStatusCode.BadRequest, "invalid_request");

        Assert.Contains("surrogate", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(JsonDocument.Parse(await client.GetStringAsync("/control/credentials")).RootElement.GetProperty("credentials").EnumerateArray());
    }

    [Fact]
    public async Task Put_to_a_backend_whose_native_library_cannot_load_is_503_not_500()
    {
        // The real macOS backend on Linux: its P/Invoke fails to load Security.framework on first use.
        ICredentialBackend foreign = OperatingSystem.IsMacOS()
            ? new Carapace.Host.Credentials.Platform.WindowsCredentialManagerBackend()
            : new Carapace.Host.Credentials.Platform.MacOsKeychainCredentialBackend();
        await using var gateway = await GatewayFixture.StartAsync(
            env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token },
            configureServices: services => services.AddSingleton<ICredentialBackendSource>(new FixedCredentialBackendSource(foreign)));
        using var client = gateway.Client(Token);

        var problem = await ProblemAssert.IsProblemAsync(
            await client.PutAsJsonAsync("/control/credentials/plugin:demo:key", new { value = "x" }),
            HttpStatusCode.ServiceUnavailable, "credential_store_unavailable");
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/control/credentials/plugin:demo:key"),
            HttpStatusCode.ServiceUnavailable, "credential_store_unavailable");

        Assert.Contains("native library", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
