using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>The plugin runtime behind the real gateway: control API, tools, channels, webhooks, audit.</summary>
public sealed class PluginGatewayTests
{
    private const string Token = "plugin-gateway-token";
    private const string WebhookSecret = "0123456789abcdef-webhook";

    private const string Yaml = $"""
        plugins:
          runtime:
            toolTimeoutSeconds: 1
            drainTimeoutSeconds: 1
            stopTimeoutSeconds: 1
          webhook:
            enabled: true
            # Host-only keys: never validated against the plugin's strict configSchema, never shown to it.
            grants:
              http: ["https://hooks.example.com/"]
            endpoints:
              ci:
                secret: "{WebhookSecret}"
        channels:
          good-channel:
            allowFrom: [alice]
            tools: [echo]
        """;

    private static Task<GatewayFixture> StartAsync() =>
        GatewayFixture.StartAsync(Yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true);

    [Fact]
    public async Task Bundled_plugins_are_listed_with_state_and_counts_reach_status()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var listed = JsonDocument.Parse(await client.GetStringAsync("/control/plugins")).RootElement.GetProperty("plugins").EnumerateArray().ToList();
        var plugins = listed.ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("state").GetString());
        var status = JsonDocument.Parse(await client.GetStringAsync("/control/status")).RootElement;

        // The webhook plugin's operator grants (host-only keys) do not trip its strict configSchema.
        Assert.True(plugins["webhook"] == "active", listed.Single(p => p.GetProperty("id").GetString() == "webhook").GetProperty("reason").GetString());
        Assert.Equal("active", plugins["files"]);
        Assert.Equal("active", plugins["good-tool"]);
        Assert.Equal("disabled", plugins["console"]);
        Assert.Equal(plugins.Count, status.GetProperty("plugins").GetProperty("total").GetInt32());
        Assert.True(status.GetProperty("plugins").GetProperty("active").GetInt32() >= 5);
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/control/plugins/nope"), HttpStatusCode.NotFound, "plugin_not_found");
    }

    [Fact]
    public async Task Plugin_detail_shows_state_version_source_capabilities_timings_and_errors()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var active = await DetailAsync(client, "good-tool");
        Assert.Equal("good-tool", active.GetProperty("id").GetString());
        Assert.Equal("active", active.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, active.GetProperty("reason").ValueKind);
        Assert.Equal("1.0.0", active.GetProperty("version").GetString());
        Assert.Equal("bundled", active.GetProperty("source").GetString());
        Assert.Equal(["tool"], active.GetProperty("kinds").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(["echo"], active.GetProperty("tools").EnumerateArray().Select(k => k.GetString()));
        Assert.True(active.GetProperty("loadMs").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, active.GetProperty("unloadMs").ValueKind);
        Assert.Equal(JsonValueKind.Null, active.GetProperty("unload").ValueKind);
        Assert.Equal(0, active.GetProperty("errorCount").GetInt32());
        Assert.Equal(JsonValueKind.Null, active.GetProperty("lastError").ValueKind);
        Assert.Equal(1, active.GetProperty("generation").GetInt32());

        var webhook = await DetailAsync(client, "webhook");
        Assert.Equal("active", webhook.GetProperty("state").GetString());
        var capabilities = webhook.GetProperty("capabilities");
        Assert.Equal(["https://*"], capabilities.GetProperty("http").EnumerateArray().Select(k => k.GetString()));
        Assert.False(capabilities.GetProperty("credentials").GetBoolean());
        Assert.Empty(capabilities.GetProperty("subprocess").EnumerateArray());

        Assert.Equal(HttpStatusCode.BadGateway, (await client.PostAsJsonAsync("/control/tools/explode/invoke", new { })).StatusCode);
        var failing = await DetailAsync(client, "throwing-tool");
        Assert.Equal("active", failing.GetProperty("state").GetString());
        Assert.Equal(1, failing.GetProperty("errorCount").GetInt32());
        Assert.Contains("kaboom", failing.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/good-tool/disable", null)).StatusCode);
        var disabled = await DetailAsync(client, "good-tool");
        Assert.Equal("disabled", disabled.GetProperty("state").GetString());
        Assert.Equal("disabled by the operator", disabled.GetProperty("reason").GetString());
        var unload = disabled.GetProperty("unload");
        Assert.True(unload.GetProperty("verified").GetBoolean());
        Assert.True(unload.GetProperty("gcIterations").GetInt32() >= 1);
        Assert.Equal(unload.GetProperty("ms").GetDouble(), disabled.GetProperty("unloadMs").GetDouble());

        // Reload does not undo a disable.
        var reload = await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/plugins/good-tool/reload", null), HttpStatusCode.Conflict, "plugin_disabled");
        Assert.Equal("disabled", reload.GetProperty("plugin").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/good-tool/enable", null)).StatusCode);
        var enabled = await DetailAsync(client, "good-tool");
        Assert.Equal(JsonValueKind.Null, enabled.GetProperty("unload").ValueKind);
        Assert.Equal(2, enabled.GetProperty("generation").GetInt32());
    }

    private static async Task<JsonElement> DetailAsync(HttpClient client, string id)
    {
        var response = await client.GetAsync($"/control/plugins/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Disable_verifies_the_unload_enable_and_reload_bring_new_generations_and_all_are_audited()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var disabled = JsonDocument.Parse(await (await client.PostAsync("/control/plugins/good-tool/disable", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("disabled", disabled.GetProperty("plugin").GetProperty("state").GetString());
        Assert.True(disabled.GetProperty("plugin").GetProperty("unloadMs").GetDouble() > 0);
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "x" }), HttpStatusCode.NotFound, "tool_not_found");

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/plugins/good-tool/enable", null)).StatusCode);
        var before = await InstanceAsync(client);
        var reload = await client.PostAsync("/control/plugins/good-tool/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.NotEqual(before, await InstanceAsync(client));

        string[] lifecycle = ["plugin_disabled", "plugin_unloaded", "plugin_enabled", "plugin_reloaded"];
        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => lifecycle.All(name => e.Any(x => x.GetProperty("event").GetString() == name && IsGoodTool(x))),
            "disable, unload, enable and reload of good-tool in the audit log");
        var order = events.Where(IsGoodTool).Select(e => e.GetProperty("event").GetString()).Where(lifecycle.Contains).ToList();
        Assert.True(order.IndexOf("plugin_disabled") < order.IndexOf("plugin_enabled"), string.Join(", ", order));
        Assert.True(order.IndexOf("plugin_enabled") < order.IndexOf("plugin_reloaded"), string.Join(", ", order));
        var unloaded = events.First(e => e.GetProperty("event").GetString() == "plugin_unloaded" && IsGoodTool(e)).GetProperty("data");
        Assert.True(unloaded.GetProperty("ms").GetDouble() > 0);

        static bool IsGoodTool(JsonElement e) =>
            e.GetProperty("data").TryGetProperty("plugin_id", out var id) && id.GetString() == "good-tool";
    }

    private static async Task<string> InstanceAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "hi" });
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("echo: hi", json.GetProperty("output").GetProperty("text").GetString());
        return json.GetProperty("output").GetProperty("instance").GetString()!;
    }

    [Fact]
    public async Task Tool_invocation_errors_are_problems_with_the_runtime_codes()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var invalid = await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/tools/echo/invoke", new { delayMs = 5 }),
            HttpStatusCode.BadRequest, "invalid_arguments");
        Assert.NotEmpty(invalid.GetProperty("errors").EnumerateArray());
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/tools/echo/invoke", new StringContent("[1]")),
            HttpStatusCode.BadRequest, "invalid_request");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/control/tools/echo/invoke", new StringContent("{oops")),
            HttpStatusCode.BadRequest, "invalid_request");
        var failed = await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/tools/explode/invoke", new { }),
            HttpStatusCode.BadGateway, "tool_failed");
        Assert.Equal("throwing-tool", failed.GetProperty("pluginId").GetString());
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/tools/hang/invoke", new { }),
            HttpStatusCode.GatewayTimeout, "tool_timeout");

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Tools_and_channels_are_listed()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var tools = JsonDocument.Parse(await client.GetStringAsync("/control/tools")).RootElement.GetProperty("tools")
            .EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        var channels = JsonDocument.Parse(await client.GetStringAsync("/control/channels")).RootElement.GetProperty("channels")
            .EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();

        Assert.Contains("echo", tools);
        Assert.Contains("files_read", tools);
        Assert.Contains("good-channel", channels);
        Assert.Contains("webhook", channels);
    }

    [Fact]
    public async Task Inbound_webhook_message_is_routed_to_a_tool_and_the_reply_goes_back_to_the_conversation()
    {
        await using var gateway = await StartAsync();
        using var anonymous = gateway.Client();

        var say = await anonymous.PostAsJsonAsync("/plugins/good-channel/say", new { conversation = "c1", sender = "alice", text = "/echo text=hello" });
        Assert.Equal(HttpStatusCode.Accepted, say.StatusCode);
        var denied = await anonymous.PostAsJsonAsync("/plugins/good-channel/say", new { conversation = "c2", sender = "mallory", text = "/echo text=x" });
        Assert.Equal(HttpStatusCode.Accepted, denied.StatusCode);

        string sent = "";
        await Poll.UntilAsync(async () =>
        {
            sent = await anonymous.GetStringAsync("/plugins/good-channel/sent");
            return sent.Contains("echo: hello", StringComparison.Ordinal) && sent.Contains("\"c2\"", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(15), "the routed reply and the refusal");
        Assert.DoesNotContain("echo: x", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Channel_send_through_the_control_api()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client(Token);

        var ok = await client.PostAsJsonAsync("/control/channels/good-channel/send", new { conversationId = "c9", text = "from the operator" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("from the operator", await gateway.Client().GetStringAsync("/plugins/good-channel/sent"), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/channels/nope/send", new { conversationId = "c", text = "t" }),
            HttpStatusCode.NotFound, "channel_not_found");
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/control/channels/good-channel/send", new { text = "t" }),
            HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Webhook_channel_checks_the_hmac_and_the_host_caps_the_body()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client();
        var body = "{\"text\":\"hi\",\"conversation\":\"x\"}";

        using (var unsigned = new HttpRequestMessage(HttpMethod.Post, "/plugins/webhook/ci") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        {
            await ProblemAssert.IsProblemAsync(await client.SendAsync(unsigned), HttpStatusCode.Unauthorized, "unauthorized");
        }

        using (var signed = new HttpRequestMessage(HttpMethod.Post, "/plugins/webhook/ci") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
        {
            signed.Headers.Add("x-carapace-signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes(body))));
            Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(signed)).StatusCode);
        }

        await ProblemAssert.IsProblemAsync(await client.PostAsync("/plugins/webhook/ci", new ByteArrayContent(new byte[300 * 1024])),
            HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/plugins/no-such-plugin/x", new StringContent("{}")),
            HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Webhook_body_cap_is_exactly_256_KiB_with_or_without_a_content_length()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client();
        const int cap = 256 * 1024;

        // At the cap the host hands the body over (the plugin then refuses the over-long text itself).
        var atCap = await client.SendAsync(Signed(new string('a', cap), chunked: false));
        Assert.Equal(HttpStatusCode.BadRequest, atCap.StatusCode);
        Assert.Contains("text must be 1 to", await atCap.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await client.SendAsync(Signed(new string('a', cap + 1), chunked: false)),
            HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        // Without a Content-Length the cap applies while reading.
        var chunkedAtCap = await client.SendAsync(Signed(new string('a', cap), chunked: true));
        Assert.Equal(HttpStatusCode.BadRequest, chunkedAtCap.StatusCode);
        Assert.Contains("text must be 1 to", await chunkedAtCap.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await client.SendAsync(Signed(new string('a', cap + 1), chunked: true)),
            HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(Signed("a small chunked message", chunked: true))).StatusCode);
    }

    private static HttpRequestMessage Signed(string text, bool chunked)
    {
        var body = Encoding.UTF8.GetBytes(text);
        HttpContent content = chunked ? new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/webhook/ci") { Content = content };
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        request.Headers.Add("x-carapace-signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), body)));
        return request;
    }

    /// <summary>A readable stream that does not report its length, so HttpClient must send it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task Plugin_endpoints_require_control_auth()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/control/plugins")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/control/tools/echo/invoke", new { text = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/control/plugins/good-tool/disable", null)).StatusCode);
    }
}
