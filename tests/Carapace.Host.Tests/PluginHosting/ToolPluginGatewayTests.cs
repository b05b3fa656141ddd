using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>The shell and http_fetch tools behind the real gateway, with grants from the configuration.</summary>
public sealed class ToolPluginGatewayTests
{
    private const string Token = "tool-plugins-token";

    private static Task<GatewayFixture> StartAsync(string yaml) =>
        GatewayFixture.StartAsync(yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true);

    [Fact]
    public async Task Shell_runs_in_the_sandbox_through_the_gateway()
    {
        await using var gateway = await StartAsync("plugins: {}\n");
        using var client = gateway.Client(Token);

        var response = await client.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/bin/echo", args = new[] { "hi from the sandbox" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("output");
        Assert.Equal(0, output.GetProperty("exitCode").GetInt32());
        Assert.Equal("hi from the sandbox\n", output.GetProperty("stdout").GetString());

        var escape = await client.PostAsJsonAsync("/control/tools/shell/invoke", new { script = "cat /root/.bashrc /etc/shadow" });
        var escaped = JsonDocument.Parse(await escape.Content.ReadAsStringAsync()).RootElement.GetProperty("output");
        Assert.NotEqual(0, escaped.GetProperty("exitCode").GetInt32());
        Assert.Contains("Permission denied", escaped.GetProperty("stderr").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shell_with_its_profile_revoked_is_refused_as_capability_denied()
    {
        await using var gateway = await StartAsync("plugins:\n  shell:\n    grants:\n      subprocess: []\n");
        using var client = gateway.Client(Token);

        var problem = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/bin/true" }),
            HttpStatusCode.BadGateway, "tool_failed");
        Assert.Contains("capability_denied", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The denied profile is in the gateway's audit log.
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Any(IsSubprocessDenial), "a capability_denied line for the subprocess capability");
        var denied = events.Single(IsSubprocessDenial).GetProperty("data");
        Assert.Equal("shell", denied.GetProperty("plugin_id").GetString());
        Assert.Equal("profile 'default': sandbox profile 'default' is not granted to this plugin", denied.GetProperty("reason").GetString());
        Assert.Equal(0, events.Count("sandbox_refused"));

        static bool IsSubprocessDenial(JsonElement e) =>
            e.GetProperty("event").GetString() == "capability_denied"
            && e.GetProperty("data").TryGetProperty("capability", out var c) && c.GetString() == "subprocess";
    }

    [Fact]
    public async Task Shell_refused_by_the_sandbox_is_503_sandbox_unavailable_with_the_reason_and_audited()
    {
        // The launcher is missing: every sandboxed run is refused (fail closed), never run unconfined.
        await using var gateway = await StartAsync("sandbox:\n  launcherPath: /nonexistent/carapace-sandbox-exec\nplugins: {}\n");
        using var client = gateway.Client(Token);

        var problem = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/bin/true" }),
            HttpStatusCode.ServiceUnavailable, "sandbox_unavailable");

        const string reason = "sandbox launcher '/nonexistent/carapace-sandbox-exec' does not exist";
        Assert.Equal($"plugin 'shell': the sandbox refused to run the command of tool 'shell': {reason}", problem.GetProperty("detail").GetString());
        Assert.Equal("shell", problem.GetProperty("tool").GetString());

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count("sandbox_refused") > 0, "a sandbox_refused audit line");
        var refused = events.Single(e => e.GetProperty("event").GetString() == "sandbox_refused").GetProperty("data");
        Assert.Equal("plugin:shell", refused.GetProperty("plugin_id").GetString());
        Assert.Equal("default", refused.GetProperty("profile").GetString());
        Assert.Equal("/bin/true", refused.GetProperty("executable").GetString());
        Assert.Equal(reason, refused.GetProperty("reason").GetString());

        // The plugin is not blamed for the host's refusal.
        var plugin = JsonDocument.Parse(await client.GetStringAsync("/control/plugins/shell")).RootElement;
        Assert.Equal("active", plugin.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Http_fetch_gets_nothing_without_an_operator_grant_and_only_what_is_granted()
    {
        await using var gateway = await StartAsync("plugins:\n  http-fetch:\n    grants:\n      http: [\"https://api.example.com\"]\n");
        using var client = gateway.Client(Token);

        var outside = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "https://example.net/private?token=SECRET" }),
            HttpStatusCode.BadGateway, "tool_failed");
        Assert.Contains("capability_denied", outside.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", outside.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_fetch_grant_beyond_the_manifest_fails_the_plugin_with_the_reason()
    {
        await using var gateway = await StartAsync("plugins:\n  http-fetch:\n    grants:\n      http: [\"https://api.example.com:8443\"]\n");
        using var client = gateway.Client(Token);

        var plugin = JsonDocument.Parse(await client.GetStringAsync("/control/plugins/http-fetch")).RootElement;
        Assert.Equal("failed", plugin.GetProperty("state").GetString());
        Assert.Contains("grants.http", plugin.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
