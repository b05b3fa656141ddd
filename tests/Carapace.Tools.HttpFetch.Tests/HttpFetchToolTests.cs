using System.Net;
using System.Text;
using System.Text.Json;
using Carapace.Abstractions.Http;
using Carapace.Plugins.Services;
using Carapace.Testing.PluginHarness;
using Carapace.Plugins.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Tools.HttpFetch.Tests;

/// <summary>
/// The real http_fetch plugin, loaded by the real runtime, calling the host's real outbound guard
/// (<c>PluginHttpFactory</c> → <c>SafeHttp</c>) against a Kestrel server on 127.0.0.1. Loopback is private, so
/// the host configuration admits exactly 127.0.0.1 through the operator's <c>network.allowPrivate</c>.
/// </summary>
public sealed class HttpFetchToolTests(HttpFetchToolTests.Fixture fixture) : IClassFixture<HttpFetchToolTests.Fixture>
{
    private const string Utf8Text = "héllo wörld ✓";

    [Fact]
    public async Task Text_body_is_decoded_and_only_selected_headers_are_returned()
    {
        await using var harness = await StartAsync(fixture.Origin);

        var result = await Invoke(harness, new { url = fixture.Url("/text") });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.Equal(200, output.GetProperty("status").GetInt32());
        Assert.Equal("text", output.GetProperty("bodyEncoding").GetString());
        Assert.Equal("utf-8", output.GetProperty("charset").GetString());
        Assert.Equal(Utf8Text, output.GetProperty("body").GetString());
        Assert.False(output.GetProperty("truncated").GetBoolean());
        Assert.Equal(fixture.Url("/text"), output.GetProperty("url").GetString());

        var headers = output.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal("\"v1\"", headers["etag"]);
        Assert.Equal("Wed, 21 Oct 2015 07:28:00 GMT", headers["last-modified"]);
        Assert.Equal("max-age=60", headers["cache-control"]);
        Assert.StartsWith("text/plain", headers["content-type"], StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(Utf8Text).ToString(System.Globalization.CultureInfo.InvariantCulture), headers["content-length"]);
        Assert.DoesNotContain("set-cookie", headers.Keys);
        Assert.DoesNotContain("x-internal", headers.Keys);
        Assert.DoesNotContain("server", headers.Keys);
        Assert.DoesNotContain("session=", output.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Declared_charsets_are_honoured_and_json_defaults_to_utf8()
    {
        await using var harness = await StartAsync(fixture.Origin);

        var cp1252 = await Invoke(harness, new { url = fixture.Url("/cp1252") });
        var json = await Invoke(harness, new { url = fixture.Url("/json") });

        Assert.True(cp1252.Succeeded, cp1252.Error);
        Assert.Equal("café €", cp1252.Output!.Value.GetProperty("body").GetString());
        Assert.Equal("windows-1252", cp1252.Output!.Value.GetProperty("charset").GetString());
        Assert.True(json.Succeeded, json.Error);
        Assert.Equal("text", json.Output!.Value.GetProperty("bodyEncoding").GetString());
        Assert.Equal("""{"name":"Zoë"}""", json.Output!.Value.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Binary_body_is_returned_as_base64()
    {
        await using var harness = await StartAsync(fixture.Origin);

        var result = await Invoke(harness, new { url = fixture.Url("/binary") });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.Equal("base64", output.GetProperty("bodyEncoding").GetString());
        Assert.False(output.TryGetProperty("charset", out _));
        Assert.Equal(Fixture.BinaryBody, Convert.FromBase64String(output.GetProperty("body").GetString()!));
        Assert.Equal(256, output.GetProperty("bodyBytes").GetInt32());
    }

    [Fact]
    public async Task Text_that_is_not_valid_in_its_charset_is_returned_as_base64_rather_than_mangled()
    {
        await using var harness = await StartAsync(fixture.Origin);

        var result = await Invoke(harness, new { url = fixture.Url("/bad-utf8") });

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("base64", result.Output!.Value.GetProperty("bodyEncoding").GetString());
        Assert.Equal(Fixture.BadUtf8, Convert.FromBase64String(result.Output!.Value.GetProperty("body").GetString()!));
    }

    [Fact]
    public async Task Redirects_are_returned_as_is_unless_followRedirects_is_set()
    {
        await using var harness = await StartAsync(fixture.Origin);

        var asIs = await Invoke(harness, new { url = fixture.Url("/redirect") });
        var followed = await Invoke(harness, new { url = fixture.Url("/redirect"), followRedirects = true });

        Assert.True(asIs.Succeeded, asIs.Error);
        Assert.Equal(302, asIs.Output!.Value.GetProperty("status").GetInt32());
        Assert.Equal("/text", asIs.Output!.Value.GetProperty("headers").GetProperty("location").GetString());
        Assert.True(followed.Succeeded, followed.Error);
        Assert.Equal(200, followed.Output!.Value.GetProperty("status").GetInt32());
        Assert.Equal(fixture.Url("/text"), followed.Output!.Value.GetProperty("url").GetString());
        Assert.Equal(Utf8Text, followed.Output!.Value.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Method_headers_and_body_reach_the_server()
    {
        await using var harness = await StartAsync(fixture.Origin);

        var post = await Invoke(harness, new
        {
            url = fixture.Url("/echo"),
            method = "POST",
            headers = new Dictionary<string, string> { ["X-Test"] = "42", ["Content-Type"] = "application/json" },
            body = """{"q":"ü"}""",
            timeoutSeconds = 10,
        });
        var head = await Invoke(harness, new { url = fixture.Url("/text"), method = "HEAD" });

        Assert.True(post.Succeeded, post.Error);
        using var echo = JsonDocument.Parse(post.Output!.Value.GetProperty("body").GetString()!);
        Assert.Equal("POST", echo.RootElement.GetProperty("method").GetString());
        Assert.Equal("42", echo.RootElement.GetProperty("xTest").GetString());
        Assert.Equal("application/json", echo.RootElement.GetProperty("contentType").GetString());
        Assert.Equal("""{"q":"ü"}""", echo.RootElement.GetProperty("body").GetString());
        Assert.StartsWith("Carapace-http_fetch/", echo.RootElement.GetProperty("userAgent").GetString(), StringComparison.Ordinal);
        Assert.True(head.Succeeded, head.Error);
        Assert.Equal(200, head.Output!.Value.GetProperty("status").GetInt32());
        Assert.False(head.Output!.Value.TryGetProperty("body", out _));
    }

    [Theory]
    [InlineData("Authorization", "Bearer abc")]
    [InlineData("authorization", "Basic Zm9vOmJhcg==")]
    [InlineData("Cookie", "session=1")]
    [InlineData("Host", "169.254.169.254")]
    [InlineData("Connection", "upgrade")]
    [InlineData("Transfer-Encoding", "chunked")]
    [InlineData("Proxy-Authorization", "Basic eA==")]
    [InlineData("X-Ok", "line\r\nInjected: 1")]
    public async Task Credential_hop_by_hop_and_malformed_headers_are_refused_before_anything_is_sent(string name, string value)
    {
        await using var harness = await StartAsync(fixture.Origin);
        var before = fixture.EchoHits;

        var result = await Invoke(harness, new { url = fixture.Url("/echo"), headers = new Dictionary<string, string> { [name] = value } });

        Assert.Equal(ToolResultCodes.InvalidRequest, result.Code);
        Assert.Contains("invalid_request: header", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, fixture.EchoHits);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/iam?token=s3cr3t")]
    [InlineData("http://10.0.0.1:8080/admin/keys?token=s3cr3t")]
    [InlineData("http://[::ffff:192.168.1.1]/keys?token=s3cr3t")]
    [InlineData("http://localhost:8080/keys?token=s3cr3t")]
    public async Task Private_address_is_refused_by_the_real_guard_as_ssrf_blocked(string url)
    {
        // A grant for any host: only the SSRF guard stands between the call and the address.
        await using var harness = await StartAsync("http://*");

        var result = await Invoke(harness, new { url });

        Assert.Equal(ToolResultCodes.CapabilityDenied, result.Code);
        Assert.Contains("ssrf_blocked: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("keys", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("meta-data", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_outside_the_grants_is_capability_denied_audited_and_never_sent()
    {
        await using var harness = await StartAsync("https://api.example.com/v1");
        var before = fixture.EchoHits;

        var result = await Invoke(harness, new { url = fixture.Url("/echo?token=s3cr3t") });

        Assert.Equal(ToolResultCodes.CapabilityDenied, result.Code);
        Assert.Contains("capability_denied: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("not covered by the plugin's URL grants", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("/echo", result.Error, StringComparison.Ordinal);
        Assert.Equal(before, fixture.EchoHits);
        Assert.Contains(fixture.Host.Logs.Lines, l => l.Contains("audit capability_denied", StringComparison.Ordinal) && l.Contains("http-fetch", StringComparison.Ordinal));
        Assert.DoesNotContain(harness.Logs.Lines.Concat(fixture.Host.Logs.Lines), l => l.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redirect_outside_the_grants_is_capability_denied()
    {
        // Granted: /redirect only; its target /text is not covered.
        await using var harness = await StartAsync(fixture.Origin + "/redirect");

        var result = await Invoke(harness, new { url = fixture.Url("/redirect"), followRedirects = true });

        Assert.Equal(ToolResultCodes.CapabilityDenied, result.Code);
        Assert.Contains("capability_denied: redirect to", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_operator_grant_every_fetch_is_capability_denied()
    {
        await using var harness = await StartAsync();

        var result = await Invoke(harness, new { url = fixture.Url("/text") });

        Assert.Equal(ToolResultCodes.CapabilityDenied, result.Code);
        Assert.Contains("capability_denied: http capability not granted", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_beyond_maxBodyBytes_is_cut_and_flagged()
    {
        await using var harness = await StartAsync(fixture.Origin, new() { ["plugins:http-fetch:maxBodyBytes"] = "9" });

        var result = await Invoke(harness, new { url = fixture.Url("/text") });

        Assert.True(result.Succeeded, result.Error);
        var output = result.Output!.Value;
        Assert.True(output.GetProperty("truncated").GetBoolean());
        // 9 bytes end inside "ö" (2 bytes in UTF-8): the half character is dropped, not garbled.
        Assert.Equal("héllo w", output.GetProperty("body").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(Utf8Text), output.GetProperty("bodyBytes").GetInt32());
    }

    [Fact]
    public async Task Guard_refusal_messages_are_redacted_by_the_tool_too()
    {
        // A service that (wrongly) puts the whole URL in its message: the tool still keeps path and query out.
        var settings = new Dictionary<string, string?>();
        await using var harness = await RuntimeHarness.StartAsync(["http-fetch"], settings, new LeakyHttpServices());

        var result = await Invoke(harness, new { url = "https://api.example.com/v1/users/42?token=s3cr3t" });

        Assert.Equal(ToolResultCodes.ToolFailed, result.Code);
        Assert.StartsWith("tool 'http_fetch' of plugin 'http-fetch' failed: timeout: ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("users/42", result.Error, StringComparison.Ordinal);
        Assert.Contains("https://api.example.com", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plugin_unloads_cleanly_after_fetching_through_the_real_guard()
    {
        await using var harness = await StartAsync(fixture.Origin);
        Assert.True((await Invoke(harness, new { url = fixture.Url("/text") })).Succeeded);
        Assert.False((await Invoke(harness, new { url = "http://10.0.0.1/" })).Succeeded);

        var disabled = await harness.Runtime.DisableAsync("http-fetch");

        Assert.True(disabled.Succeeded, disabled.Message);
        Assert.Equal("disabled", harness.Runtime.Get("http-fetch")!.State);
    }

    private async Task<RuntimeHarness> StartAsync(string? grant = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(extra ?? []);
        if (grant is not null)
        {
            settings["plugins:http-fetch:grants:http:0"] = grant;
        }

        var harness = await RuntimeHarness.StartAsync(["http-fetch"], settings, fixture.Host.Granting(settings));
        var info = harness.Runtime.Get("http-fetch")!;
        Assert.True(info.State == "active", info.Reason);
        return harness;
    }

    private static Task<ToolInvocationResult> Invoke(RuntimeHarness harness, object args) =>
        harness.Runtime.InvokeToolAsync("http_fetch", JsonText.Parse(JsonSerializer.Serialize(args)));

    private sealed class LeakyHttpServices : IPluginServicesFactory
    {
        public PluginServices Create(PluginServiceRequest request) =>
            new DenyAllPluginServicesFactory().Create(request) with { Http = new LeakyHttp() };

        private sealed class LeakyHttp : IPluginHttp
        {
            public Task<PluginHttpResponse> SendAsync(PluginHttpRequest request, CancellationToken cancellationToken) =>
                throw new OutboundRequestRejectedException(OutboundErrorCodes.Timeout, $"request to {request.Url} timed out");
        }
    }

    /// <summary>The host services (guard admitting 127.0.0.1 only) and a Kestrel server with one route per case.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public static readonly byte[] BinaryBody = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        public static readonly byte[] BadUtf8 = [0x61, 0xC3, 0x28, 0xFF, 0x62];

        private WebApplication _app = null!;
        private int _echoHits;

        internal HostServices Host { get; private set; } = null!;

        public string Origin { get; private set; } = null!;

        public int EchoHits => Volatile.Read(ref _echoHits);

        public string Url(string pathAndQuery) => Origin + pathAndQuery;

        public async Task InitializeAsync()
        {
            Host = HostServices.Create(new Dictionary<string, string?> { ["network:allowPrivate:0"] = "127.0.0.1" });

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            _app = builder.Build();
            _app.MapMethods("/text", ["GET", "HEAD"], (HttpContext c) =>
            {
                c.Response.Headers.ETag = "\"v1\"";
                c.Response.Headers.LastModified = "Wed, 21 Oct 2015 07:28:00 GMT";
                c.Response.Headers.CacheControl = "max-age=60";
                c.Response.Headers.SetCookie = "session=abc123; HttpOnly";
                c.Response.Headers["X-Internal"] = "build-7";
                return Results.Bytes(Encoding.UTF8.GetBytes(Utf8Text), "text/plain; charset=utf-8");
            });
            _app.MapGet("/cp1252", () => Results.Bytes([0x63, 0x61, 0x66, 0xE9, 0x20, 0x80], "text/plain; charset=windows-1252"));
            _app.MapGet("/json", () => Results.Bytes(Encoding.UTF8.GetBytes("""{"name":"Zoë"}"""), "application/json"));
            _app.MapGet("/binary", () => Results.Bytes(BinaryBody, "application/octet-stream"));
            _app.MapGet("/bad-utf8", () => Results.Bytes(BadUtf8, "text/plain; charset=utf-8"));
            _app.MapGet("/redirect", () => Results.Redirect("/text"));
            _app.Map("/echo", async (HttpContext c) =>
            {
                Interlocked.Increment(ref _echoHits);
                using var reader = new StreamReader(c.Request.Body, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var echo = JsonSerializer.Serialize(new Dictionary<string, string?>
                {
                    ["method"] = c.Request.Method,
                    ["xTest"] = c.Request.Headers["X-Test"].ToString(),
                    ["contentType"] = c.Request.ContentType,
                    ["userAgent"] = c.Request.Headers.UserAgent.ToString(),
                    ["body"] = body,
                });
                return Results.Bytes(Encoding.UTF8.GetBytes(echo), "application/json");
            });
            await _app.StartAsync();
            var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            Origin = new Uri(address).GetLeftPart(UriPartial.Authority);
        }

        public async Task DisposeAsync()
        {
            await _app.DisposeAsync();
            await Host.DisposeAsync();
        }
    }
}
