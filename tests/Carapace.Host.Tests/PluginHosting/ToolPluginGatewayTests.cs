using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carapace.Host.Outbound;
using Carapace.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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
            HttpStatusCode.Forbidden, "capability_denied");
        Assert.Equal("plugin 'shell': tool 'shell' declined the call: capability_denied: sandbox profile 'default' is not granted to this plugin",
            problem.GetProperty("detail").GetString());

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
    public async Task Shell_invalid_request_is_400_and_neither_it_nor_a_capability_denial_faults_the_plugin()
    {
        await using var gateway = await StartAsync("plugins:\n  runtime:\n    faultAfter: 2\n");
        using var client = gateway.Client(Token);

        for (var i = 0; i < 3; i++)
        {
            var problem = await ProblemAssert.IsProblemAsync(
                await client.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/nonexistent-carapace/bin" }),
                HttpStatusCode.BadRequest, "invalid_request");
            Assert.Equal("plugin 'shell': tool 'shell' declined the call: invalid_request: executable '/nonexistent-carapace/bin' does not exist",
                problem.GetProperty("detail").GetString());
        }

        var plugin = JsonDocument.Parse(await client.GetStringAsync("/control/plugins/shell")).RootElement;
        Assert.Equal("active", plugin.GetProperty("state").GetString());
        var ok = await client.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/bin/true" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        await using var revoked = await StartAsync("plugins:\n  runtime:\n    faultAfter: 2\n  shell:\n    grants:\n      subprocess: []\n");
        using var revokedClient = revoked.Client(Token);
        for (var i = 0; i < 3; i++)
        {
            await ProblemAssert.IsProblemAsync(
                await revokedClient.PostAsJsonAsync("/control/tools/shell/invoke", new { command = "/bin/true" }),
                HttpStatusCode.Forbidden, "capability_denied");
        }

        var revokedPlugin = JsonDocument.Parse(await revokedClient.GetStringAsync("/control/plugins/shell")).RootElement;
        Assert.Equal("active", revokedPlugin.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Files_refusals_are_400_and_do_not_fault_the_plugin()
    {
        var root = Path.Combine(Path.GetTempPath(), "carapace-files-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllText(Path.Combine(root, "note.txt"), "still here");
            await using var gateway = await StartAsync($"plugins:\n  runtime:\n    faultAfter: 3\n  files:\n    roots: [\"{root}\"]\n");
            using var client = gateway.Client(Token);

            foreach (var path in new[] { "../etc/passwd", "a/../../etc/shadow", "missing.txt" })
            {
                var problem = await ProblemAssert.IsProblemAsync(
                    await client.PostAsJsonAsync("/control/tools/files_read/invoke", new { path }), HttpStatusCode.BadRequest, "invalid_request");
                Assert.StartsWith("plugin 'files': tool 'files_read' declined the call: ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }

            var plugin = JsonDocument.Parse(await client.GetStringAsync("/control/plugins/files")).RootElement;
            Assert.Equal(("active", 0), (plugin.GetProperty("state").GetString(), plugin.GetProperty("errorCount").GetInt32()));
            var read = await client.PostAsJsonAsync("/control/tools/files_read/invoke", new { path = "note.txt" });
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Http_fetch_invalid_url_is_400_and_does_not_fault_the_plugin()
    {
        await using var gateway = await StartAsync(
            "plugins:\n  runtime:\n    faultAfter: 3\n  http-fetch:\n    grants:\n      http: [\"https://api.example.com\"]\n");
        using var client = gateway.Client(Token);

        foreach (var url in new[] { "not a url", "ftp://api.example.com/x", "https://user:pw@api.example.com/" })
        {
            var problem = await ProblemAssert.IsProblemAsync(
                await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url }), HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("invalid_url", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var plugin = JsonDocument.Parse(await client.GetStringAsync("/control/plugins/http-fetch")).RootElement;
        Assert.Equal(("active", 0), (plugin.GetProperty("state").GetString(), plugin.GetProperty("errorCount").GetInt32()));
        // And the operator's refusal (a URL outside the grants) is 403, not a plugin fault either.
        await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "https://example.net/" }), HttpStatusCode.Forbidden, "capability_denied");
        Assert.Equal("active", JsonDocument.Parse(await client.GetStringAsync("/control/plugins/http-fetch")).RootElement.GetProperty("state").GetString());
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
            HttpStatusCode.Forbidden, "capability_denied");
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

    [Fact]
    public async Task Http_fetch_without_any_grant_is_denied_and_audited_once_per_window()
    {
        await using var gateway = await StartAsync("plugins: {}\n");
        using var client = gateway.Client(Token);

        for (var i = 0; i < 3; i++)
        {
            var denied = await ProblemAssert.IsProblemAsync(
                await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "https://example.com/?token=SECRET" }),
                HttpStatusCode.Forbidden, "capability_denied");
            Assert.Contains("capability_denied", denied.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // Every attempt is refused; the log gets the first in full, the others are counted into one summary
        // when the minute is over (DenialAuditFloodTests), so a spinning plugin cannot flood it.
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Count(x => IsHttpDenial(x, "http capability not granted")) >= 1, "the audited http denial");
        Assert.Equal(1, events.Count(x => IsHttpDenial(x, "http capability not granted")));
        Assert.DoesNotContain(events, e => e.GetRawText().Contains("SECRET", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http_fetch_reaches_a_granted_loopback_server_allowed_by_allow_private()
    {
        await using var server = Outbound.LoopbackServer.Respond(IPAddress.Loopback, 200, "hello from loopback");
        const string grants = "plugins:\n  http-fetch:\n    grants:\n      http: [\"http://127.0.0.1/api\"]\n";
        await using var gateway = await StartForwardingAsync("network:\n  allowPrivate: [127.0.0.1]\n" + grants, server);
        using var client = gateway.Client(Token);

        var response = await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "http://127.0.0.1/api/x" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("output");
        Assert.Equal(200, output.GetProperty("status").GetInt32());
        Assert.Equal("hello from loopback", output.GetProperty("body").GetString());
        Assert.Equal(1, server.AcceptedConnections);

        // Same server, a path outside the grant: refused before connecting.
        var outside = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "http://127.0.0.1/admin" }),
            HttpStatusCode.Forbidden, "capability_denied");
        Assert.Contains("capability_denied", outside.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, server.AcceptedConnections);

        // The grant alone does not open a private address: without allowPrivate the guard refuses it.
        await using var strict = await StartForwardingAsync(grants, server);
        using var strictClient = strict.Client(Token);
        var blocked = await ProblemAssert.IsProblemAsync(
            await strictClient.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "http://127.0.0.1/api/x" }),
            HttpStatusCode.Forbidden, "capability_denied");
        Assert.Contains("ssrf_blocked", blocked.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, server.AcceptedConnections);
    }

    [Fact]
    public async Task Http_fetch_rate_limit_comes_from_the_operator_grant()
    {
        await using var server = Outbound.LoopbackServer.Respond(IPAddress.Loopback, 200, "ok");
        await using var gateway = await StartForwardingAsync(
            "network:\n  allowPrivate: [127.0.0.1]\nplugins:\n  http-fetch:\n    grants:\n      http: [\"http://127.0.0.1\"]\n      httpRequestsPerMinute: 2\n",
            server);
        using var client = gateway.Client(Token);
        var args = new { url = "http://127.0.0.1/" };

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", args)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", args)).StatusCode);
        var third = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", args), HttpStatusCode.Forbidden, "capability_denied");

        Assert.Contains("rate limit exceeded", third.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, server.AcceptedConnections);
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Any(x => IsHttpDenial(x, "rate limit exceeded")), "the audited rate-limit denial");
    }

    [Fact]
    public async Task Http_fetch_invalid_url_refusals_are_audited_without_userinfo_or_query()
    {
        await using var server = Outbound.LoopbackServer.Respond(IPAddress.Loopback, 200, "ok");
        await using var gateway = await StartForwardingAsync(
            "network:\n  allowPrivate: [127.0.0.1]\nplugins:\n  http-fetch:\n    grants:\n      http: [\"http://127.0.0.1\"]\n", server);
        using var client = gateway.Client(Token);

        var refused = await ProblemAssert.IsProblemAsync(
            await client.PostAsJsonAsync("/control/tools/http_fetch/invoke", new { url = "http://alice:hunter2@127.0.0.1/?token=SECRET" }),
            HttpStatusCode.BadRequest, "invalid_request");

        Assert.Contains("invalid_url", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Any(x => IsHttpDenial(x, "invalid_url: URLs with credentials (userinfo) are not allowed")), "the audited invalid_url refusal");
        Assert.DoesNotContain(events, e => e.GetRawText().Contains("hunter2", StringComparison.Ordinal)
                                           || e.GetRawText().Contains("SECRET", StringComparison.Ordinal));
        Assert.Equal(0, server.AcceptedConnections);
    }

    /// <summary>
    /// The gateway with its real guard (policy from <c>network.allowPrivate</c>, real resolver), except that
    /// the last step, opening the TCP stream to the endpoint the guard validated, goes to the test server:
    /// http-fetch may only be granted default ports, and port 80 needs privileges a test should not.
    /// </summary>
    private static Task<GatewayFixture> StartForwardingAsync(string yaml, Outbound.LoopbackServer server) =>
        GatewayFixture.StartAsync(yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true,
            configureServices: services => services.AddSingleton(sp => new SafeHttp(
                sp.GetRequiredService<AddressPolicy>(),
                sp.GetRequiredService<IHostResolver>(),
                sp.GetRequiredService<IOptions<OutboundOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                new Outbound.RecordingConnector(new IPEndPoint(IPAddress.Loopback, server.Port)).ConnectAsync)));

    private static bool IsHttpDenial(JsonElement e, string reason) =>
        e.GetProperty("event").GetString() == "capability_denied"
        && e.GetProperty("data").GetProperty("plugin_id").GetString() == "http-fetch"
        && e.GetProperty("data").GetProperty("capability").GetString() == "http"
        && e.GetProperty("data").GetProperty("reason").GetString() == reason;
}
