using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using Carapace.Host.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Tests.Fuzz;

/// <summary>
/// Random bodies, content types, methods and paths against every endpoint the real gateway maps (read
/// from its EndpointDataSource, so endpoints added later are fuzzed too), authenticated. Never a 500,
/// never a dropped connection, and every error is problem+json with a code.
/// </summary>
public sealed class ControlApiFuzzTests
{
    private const string Token = "fuzz-token";

    private static readonly Gen<string> JsonShaped = Gen.OneOf(
            "{", "}", "[", "]", ",", ":", "\"", "\"name\"", "\"count\"", "\"extra\"", "\"value\"", "null", "true", "1", "-0", "1e400",
            "9999999999999999999999", "\"\\u0000\"", "\"\\ud800\"", "{\"$ref\":1}", "[[[[[[[[[[", "\"" + new string('x', 500) + "\"", " ", "\n")
        .Array[0, 80].Select(parts => string.Concat(parts));

    private static readonly Gen<byte[]> Bodies = Gen.Frequency(
        (3, JsonShaped.Select(s => Encoding.UTF8.GetBytes(s))),
        (2, Gen.Byte.Array[0, 600]),
        (1, Gen.Int[1, 3000].Select(depth => Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)))),
        (1, Gen.Const(Encoding.UTF8.GetBytes("{\"name\":\"a\",\"count\":1}"))),
        (1, Gen.Const(Encoding.UTF8.GetBytes("{\"value\":\"\\ud800\"}"))));

    private static readonly Gen<string?> ContentTypes = Gen.OneOf<string?>(
        "application/json", "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "garbage/x;;=", null);

    private static readonly Gen<string> Methods = Gen.OneOf("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "FOO");

    // "a:b:c" is a valid credential key, so PUT /control/credentials/{key} gets past the key check to the body.
    private static readonly string[] Fills = ["x", "a:b:c", "..", ".", "%2e", "%00", "a%2fb", "{id}", "~", "e\u0301", new string('s', 200), "0", "-1"];

    private static readonly Gen<string> ArgumentValues = Gen.OneOf(
        "\"hi\"", "\"\"", "0", "1", "-1", "10001", "2.5", "1e400", "null", "true", "[]", "{}", "[\"a\"]", "{\"text\":1}",
        "\"" + new string('y', 3000) + "\"", "\"\\u0000\"", "\"/bin/echo\"", "\"https://127.0.0.1:1/\"");

    /// <summary>JSON objects with the argument and message keys the plugins read, holding right, wrong and hostile values.</summary>
    private static readonly Gen<byte[]> ArgumentObjects =
        Gen.Select(Gen.OneOf("text", "delayMs", "conversationId", "command", "args", "script", "url", "path", "extra", ""), ArgumentValues)
            .Array[0, 5]
            .Select(pairs => Encoding.UTF8.GetBytes("{" + string.Join(",", pairs.Select(p => $"\"{p.Item1}\":{p.Item2}")) + "}"));

    [Fact]
    public async Task Random_bodies_to_every_endpoint_never_cause_a_500()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token },
            configureApp: TestEndpoints.Map);

        var run = await FuzzEveryEndpointAsync(gateway, Gen.OneOf(Fills), Bodies, cases: 150);

        Assert.Contains("/control/status", run.Templates);
        Assert.Contains(TestEndpoints.Echo, run.Templates);
    }

    [Fact]
    public async Task Random_bodies_with_plugins_loaded_reach_schema_validation_and_channel_sends_without_a_500()
    {
        // Real names this time, so requests get past "not found": the echo tool's schema ({text: string,
        // delayMs: 0..10000}) validates them, channels try to send, webhooks reach their plugin.
        await using var gateway = await GatewayFixture.StartAsync(
            "plugins:\n  runtime:\n    toolTimeoutSeconds: 1\n    drainTimeoutSeconds: 1\n    stopTimeoutSeconds: 1\n",
            new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true);
        string[] real = ["echo", "explode", "good-tool", "good-channel", "throwing-tool", "webhook", "files", "console", "ci"];
        var fills = Gen.Frequency((3, Gen.Const("echo")), (3, Gen.OneOf(real)), (1, Gen.OneOf(Fills)));
        var bodies = Gen.Frequency((4, ArgumentObjects), (1, Bodies));
        // Mostly POST, which is what these endpoints take. Disabling a plugin is fuzzed without plugins (above):
        // here it would only turn the rest of the run into tool_not_found.
        var methods = Gen.Frequency((5, Gen.Const("POST")), (2, Methods));

        var run = await FuzzEveryEndpointAsync(gateway, fills, bodies, cases: 400, methods, pluginsLoaded: true,
            skip: "/control/plugins/{id}/disable",
            favour: ["/control/tools/{name}/invoke", "/control/channels/{id}/send", "/plugins/{pluginId}/{**path}"]);

        // The generated requests got past routing and lookup into argument validation, and the runtime still works.
        Assert.Contains("invalid_arguments", run.Codes("/control/tools/{name}/invoke"));
        Assert.NotEmpty(run.Codes("/control/channels/{id}/send"));
        using var client = gateway.Client(Token);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/control/tools/echo/invoke",
            new StringContent("{\"text\":\"after the fuzz\"}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/control/status")).StatusCode);
    }

    [Fact]
    public async Task Random_paths_under_control_never_cause_a_500()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        var segments = Gen.OneOf("control", "Control", "status", "logs", "audit", "metrics", "config", ".", "..", "%2f", "%2e%2e",
            "%00", "%ff", "%", "?n=", "&", "n=-1", "after=x", "//", ";", "\\", "~", "é", "%C0%AF", "a b").Array[1, 12];
        var paths = segments.Select(parts => "/control/" + string.Concat(parts)).Array[150].Single();

        foreach (var target in paths)
        {
            var response = await RawHttp.SendAsync(gateway.BaseAddress,
                RawHttp.Get(target.Replace(' ', '+'), extraHeaders: $"Authorization: Bearer {Token}\r\n"));

            Assert.True(response.Status is >= 200 and < 500, $"{target} -> {response.Status}\n{response.Raw}");
        }
    }

    /// <summary>
    /// Sends <paramref name="cases"/> random requests to the gateway's mapped endpoints (read from its
    /// EndpointDataSource, so endpoints added later are fuzzed too), authenticated. Never a 500, never a
    /// dropped connection, and every error is problem+json with a code. With <paramref name="pluginsLoaded"/>, 502
    /// and 504 (a plugin failed or timed out, with the runtime's code) are answers, not crashes; without plugins
    /// nothing may be 5xx. <paramref name="favour"/> templates are picked twice as often as all the others together.
    /// Returns the route templates and the code each answer carried.
    /// </summary>
    private static async Task<FuzzRun> FuzzEveryEndpointAsync(GatewayFixture gateway, Gen<string> fills, Gen<byte[]> bodies, int cases,
        Gen<string>? methods = null, bool pluginsLoaded = false, string? skip = null, string[]? favour = null)
    {
        using var client = gateway.Client(Token);
        var templates = gateway.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!).Distinct().Where(t => t != skip).ToArray();
        var outcomes = new List<(string Template, string Code)>();

        foreach (var (template, fill, method, body, contentType) in Gen.Select(favour is null ? Gen.OneOf(templates) : Gen.Frequency((1, Gen.OneOf(templates)), (2, Gen.OneOf(favour))),
                     fills, methods ?? Methods, bodies, ContentTypes).Array[cases].Single())
        {
            var path = "/" + string.Join('/', template.Trim('/').Split('/')
                .Select(part => part.StartsWith('{') ? Uri.EscapeDataString(fill) : part));
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is not ("GET" or "HEAD"))
            {
                request.Content = new ByteArrayContent(body);
                if (contentType is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }
            }

            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var what = $"{method} {path} ({contentType}, {body.Length} bytes: {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 200)])}) -> {(int)response.StatusCode}: {text}";

            Assert.True(pluginsLoaded ? response.StatusCode is not (HttpStatusCode.InternalServerError or HttpStatusCode.NotImplemented)
                : (int)response.StatusCode < 500, what);
            if ((int)response.StatusCode >= 400 && method != "HEAD")
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", what);
                Assert.Contains("\"code\":", text, StringComparison.Ordinal);
                Assert.DoesNotContain("\"internal_error\"", text, StringComparison.Ordinal);
            }

            outcomes.Add((template, response.IsSuccessStatusCode ? "ok"
                : text.Length > 0 && JsonDocument.Parse(text).RootElement.TryGetProperty("code", out var code) ? code.GetString()! : "?"));
        }

        return new FuzzRun(templates, outcomes);
    }

    private sealed record FuzzRun(string[] Templates, List<(string Template, string Code)> Outcomes)
    {
        public HashSet<string> Codes(string template) => Outcomes.Where(o => o.Template == template).Select(o => o.Code).ToHashSet();
    }
}
