using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Abstractions.Http;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;

namespace Carapace.Channels.Webhook.Tests;

public sealed class WebhookChannelTests
{
    private const string HmacSecret = "hmac-secret-0123456789";
    private const string SharedSecret = "shared-secret-0123456789";

    private static Dictionary<string, string?> Settings() => new()
    {
        ["plugins:webhook:endpoints:signed:secret"] = HmacSecret,
        ["plugins:webhook:endpoints:signed:outboundUrl"] = "https://hooks.example.com/reply",
        ["plugins:webhook:endpoints:plain:auth"] = "secret",
        ["plugins:webhook:endpoints:plain:secret"] = SharedSecret,
        ["channels:webhook:allowFrom:0"] = "signed",
        ["channels:webhook:allowFrom:1"] = "plain",
        ["channels:webhook:tools:0"] = "hello",
    };

    [Fact]
    public async Task Valid_hmac_signature_is_accepted_routed_and_answered_through_plugin_http()
    {
        var http = new RecordingHttp();
        await using var harness = await StartAsync(http);
        var body = Encoding.UTF8.GetBytes("""{"text":"/hello name=Ada","conversation":"t-1"}""");

        var result = await Post(harness, "/signed", body, ("x-carapace-signature", Sign(HmacSecret, body)));

        Assert.Equal(202, result);
        Assert.True(await Eventually.TrueAsync(() => !http.Requests.IsEmpty));
        var (request, plugin) = http.Requests.Single();
        Assert.Equal("webhook", plugin);
        Assert.Equal("POST", request.Method);
        Assert.Equal("https://hooks.example.com/reply", request.Url);
        using var doc = JsonDocument.Parse(request.Body);
        Assert.Equal("t-1", doc.RootElement.GetProperty("conversation").GetString());
        Assert.Equal("Hello, Ada!", doc.RootElement.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=00")]
    [InlineData("sha256=zz-not-hex")]
    [InlineData("sha1=4f0c")]
    public async Task Missing_or_wrong_signature_is_rejected(string? signature)
    {
        await using var harness = await StartAsync(new RecordingHttp());
        var body = Encoding.UTF8.GetBytes("""{"text":"hi"}""");

        var status = signature is null
            ? await Post(harness, "/signed", body)
            : await Post(harness, "/signed", body, ("x-carapace-signature", signature));

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Signature_over_a_different_body_is_rejected()
    {
        await using var harness = await StartAsync(new RecordingHttp());
        var signed = Encoding.UTF8.GetBytes("""{"text":"harmless"}""");
        var tampered = Encoding.UTF8.GetBytes("""{"text":"/hello name=evil"}""");

        Assert.Equal(401, await Post(harness, "/signed", tampered, ("x-carapace-signature", Sign(HmacSecret, signed))));
        Assert.Equal(401, await Post(harness, "/signed", tampered, ("x-carapace-signature", Sign("another-secret-0123", tampered))));
    }

    [Fact]
    public async Task Shared_secret_header_is_checked()
    {
        await using var harness = await StartAsync(new RecordingHttp());
        var body = Encoding.UTF8.GetBytes("""{"text":"hi"}""");

        Assert.Equal(202, await Post(harness, "/plain", body, ("x-carapace-secret", SharedSecret)));
        Assert.Equal(401, await Post(harness, "/plain", body, ("x-carapace-secret", SharedSecret + "x")));
        Assert.Equal(401, await Post(harness, "/plain", body, ("x-carapace-secret", SharedSecret[..^1])));
        Assert.Equal(401, await Post(harness, "/plain", body, ("x-carapace-signature", Sign(SharedSecret, body))));
    }

    [Fact]
    public async Task Unknown_endpoint_wrong_method_and_bad_body_are_refused()
    {
        await using var harness = await StartAsync(new RecordingHttp());
        var bad = Encoding.UTF8.GetBytes("not json");

        var get = await harness.Runtime.DispatchWebhookAsync("webhook", GoodChannel.Request("GET", "/plain", [],
            new Dictionary<string, string> { ["x-carapace-secret"] = SharedSecret }));
        Assert.Equal(405, get.Response!.StatusCode);
        Assert.Equal(400, await Post(harness, "/signed", bad, ("x-carapace-signature", Sign(HmacSecret, bad))));
    }

    [Fact]
    public async Task Authentication_comes_before_the_endpoint_lookup_and_the_method_check()
    {
        await using var harness = await StartAsync(new RecordingHttp());
        var body = Encoding.UTF8.GetBytes("""{"text":"hi"}""");

        // An unknown endpoint looks exactly like a wrong secret: nobody learns which endpoints exist.
        Assert.Equal(401, await Post(harness, "/nope", body));
        Assert.Equal(401, await Post(harness, "/nope", body, ("x-carapace-signature", Sign(HmacSecret, body))));
        Assert.Equal(401, await Post(harness, "/", body));
        var unauthenticatedGet = await harness.Runtime.DispatchWebhookAsync("webhook", GoodChannel.Request("GET", "/signed", []));
        Assert.Equal(401, unauthenticatedGet.Response!.StatusCode);
        Assert.Contains(harness.Logs.Lines, l => l.Contains("webhook endpoint nope: rejected a request", StringComparison.Ordinal)
                                               && l.Contains("no such endpoint", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Webhook_config_is_validated_against_its_schema()
    {
        var settings = Settings();
        settings["plugins:webhook:endpoints:weak:secret"] = "short";

        await using var harness = await RuntimeHarness.StartAsync(["webhook"], settings);

        var info = harness.Runtime.Get("webhook")!;
        Assert.Equal("failed", info.State);
        Assert.Contains("/endpoints/weak/secret", info.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_grants_and_the_enabled_switch_do_not_trip_the_strict_config_schema()
    {
        // The manifest invites plugins.webhook.grants.http; its configSchema has additionalProperties: false.
        var settings = Settings();
        settings["plugins:webhook:enabled"] = "true";
        settings["plugins:webhook:grants:http:0"] = "https://hooks.example.com/";

        await using var harness = await RuntimeHarness.StartAsync(["webhook"], settings);

        var info = harness.Runtime.Get("webhook")!;
        Assert.True(info.State == "active", info.Reason);
    }

    private static async Task<RuntimeHarness> StartAsync(RecordingHttp http)
    {
        var harness = await RuntimeHarness.StartAsync(["webhook", "hello"], Settings(), new HttpOnlyServices(http));
        Assert.Equal("active", harness.Runtime.Get("webhook")!.State);
        Assert.True(await Eventually.TrueAsync(() => harness.Runtime.ListChannels().Any(c => c.Id == "webhook" && c.State == "running")));
        return harness;
    }

    private static async Task<int> Post(RuntimeHarness harness, string path, byte[] body, params (string Name, string Value)[] headers)
    {
        var map = headers.ToDictionary(h => h.Name, h => h.Value);
        map["content-type"] = "application/json";
        var result = await harness.Runtime.DispatchWebhookAsync("webhook", GoodChannel.Request("POST", path, body, map));
        Assert.True(result.Succeeded, result.Error);
        return result.Response!.StatusCode;
    }

    private static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Records outbound requests with the id of the plugin that made them; sends nothing.</summary>
    private sealed class RecordingHttp
    {
        public ConcurrentQueue<(PluginHttpRequest Request, string Plugin)> Requests { get; } = new();

        public IPluginHttp For(string pluginId) => new Scoped(this, pluginId);

        private sealed class Scoped(RecordingHttp owner, string pluginId) : IPluginHttp
        {
            public Task<PluginHttpResponse> SendAsync(PluginHttpRequest request, CancellationToken cancellationToken)
            {
                owner.Requests.Enqueue((request with { Body = request.Body.ToArray() }, pluginId));
                return Task.FromResult(new PluginHttpResponse(204, new Dictionary<string, string>(), null, ReadOnlyMemory<byte>.Empty, request.Url));
            }
        }
    }

    /// <summary>Grants outbound HTTP (recorded, never sent) and denies everything else.</summary>
    private sealed class HttpOnlyServices(RecordingHttp http) : IPluginServicesFactory
    {
        public PluginServices Create(PluginServiceRequest request)
        {
            var deny = new DenyAllPluginServicesFactory().Create(request);
            return deny with { Http = http.For(request.PluginId) };
        }
    }
}
