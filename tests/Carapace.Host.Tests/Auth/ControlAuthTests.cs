using System.Net;
using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.Auth;

public sealed class ControlAuthTests
{
    private const string Token = "test-token-7f3a9c";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    [Fact]
    public async Task Status_is_401_without_credentials()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();

        var response = await client.GetAsync("/control/status");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer realm=\"carapace\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Status_is_401_with_a_wrong_token()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client("wrong-token");

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/status"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Status_is_200_with_the_token_and_reports_runtime_and_diagnostics()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client(Token);

        var response = await client.GetAsync("/control/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("0.1.0", json.GetProperty("version").GetString());
        Assert.True(json.GetProperty("startedAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
        Assert.True(json.GetProperty("uptimeSeconds").GetInt64() >= 0);
        Assert.Equal("linux", json.GetProperty("runtime").GetProperty("platform").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("runtime").GetProperty("arch").GetString()));
        Assert.StartsWith(".NET 10", json.GetProperty("runtime").GetProperty("dotnet").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, json.GetProperty("plugins").GetProperty("total").GetInt32());
        Assert.Equal(0, json.GetProperty("channels").GetProperty("total").GetInt32());
        Assert.True(json.GetProperty("diagnostics").GetProperty("stateDirWritable").GetBoolean());
        Assert.True(json.GetProperty("diagnostics").GetProperty("memoryRssBytes").GetInt64() > 0);
        Assert.Equal("token", json.GetProperty("diagnostics").GetProperty("authMode").GetString());
    }

    [Theory]
    [InlineData("bearer " + Token)]
    [InlineData("BEARER " + Token)]
    [InlineData("Basic " + Token)]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData(Token)]
    [InlineData("Token " + Token)]
    public async Task Scheme_must_be_exactly_Bearer(string authorization)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Surrounding_whitespace_in_the_credential_is_trimmed_as_upstream()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer   {Token}  ");

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Two_authorization_headers_are_rejected()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.TryAddWithoutValidation("Authorization", ["Bearer wrong", $"Bearer {Token}"]);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Token_in_query_string_is_ignored()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/control/status?token={Token}")).StatusCode);
    }

    [Fact]
    public async Task With_no_auth_configured_every_control_request_is_denied_and_a_warning_is_logged()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var client = gateway.Client("anything");

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/status"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/logs"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/does-not-exist"), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.True(gateway.LogContains("every /control request will be denied (401), loopback included"));
        Assert.True(gateway.LogContains("CARAPACE_GATEWAY_TOKEN"));
    }

    [Fact]
    public async Task Password_mode_from_the_environment()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_PASSWORD"] = "pw-1" });

        using (var ok = gateway.Client("pw-1"))
        {
            Assert.Equal(HttpStatusCode.OK, (await ok.GetAsync("/control/status")).StatusCode);
        }

        using var bad = gateway.Client("pw-2");
        Assert.Equal(HttpStatusCode.Unauthorized, (await bad.GetAsync("/control/status")).StatusCode);
        Assert.True(gateway.LogContains("Control API auth: password"));
    }

    [Fact]
    public async Task Password_mode_from_the_config_file()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  auth:\n    password: from-file\n");
        using var client = gateway.Client("from-file");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/control/status")).StatusCode);
    }

    [Fact]
    public async Task Token_from_the_config_file()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  auth:\n    token: file-token\n");
        using var client = gateway.Client("file-token");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/control/status")).StatusCode);
    }

    [Fact]
    public async Task Environment_token_wins_over_the_config_file()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  auth:\n    token: file-token\n", TokenEnv());

        using var fileClient = gateway.Client("file-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await fileClient.GetAsync("/control/status")).StatusCode);
        using var envClient = gateway.Client(Token);
        Assert.Equal(HttpStatusCode.OK, (await envClient.GetAsync("/control/status")).StatusCode);
    }

    [Fact]
    public async Task Unknown_control_path_is_404_problem_only_after_auth()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var anonymous = gateway.Client();
        using var authed = gateway.Client(Token);

        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync("/control/secret-thing"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await authed.GetAsync("/control/secret-thing"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await authed.DeleteAsync("/control/a/b/c"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Wrong_method_on_a_control_endpoint_is_405_with_allow()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client(Token);

        var response = await client.PostAsync("/control/status", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    [Theory]
    [InlineData("/Control/status")]
    [InlineData("/CONTROL/STATUS")]
    [InlineData("/control/status/")]
    public async Task Path_spellings_that_route_to_control_endpoints_still_require_auth(string path)
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Auth_failures_are_logged_with_the_remote_ip_and_never_the_secret()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: TokenEnv());
        using var client = gateway.Client("hunter2-supplied-secret");

        await client.GetAsync("/control/status");

        var entries = gateway.Logs.Snapshot(1000).Entries;
        Assert.Contains(entries, e => e.Message.Contains("Control auth failed from 127.0.0.1", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Message.Contains("hunter2", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Message.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Control_api_can_be_disabled_and_then_answers_404()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  control:\n    enabled: false\n", TokenEnv());
        using var client = gateway.Client(Token);

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/status"), HttpStatusCode.NotFound, "not_found");
        Assert.True(gateway.LogContains("control API is disabled"));
    }
}
