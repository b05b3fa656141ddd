using System.Net;
using System.Text;
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
            "{", "}", "[", "]", ",", ":", "\"", "\"name\"", "\"count\"", "\"extra\"", "null", "true", "1", "-0", "1e400",
            "9999999999999999999999", "\"\\u0000\"", "\"\\ud800\"", "{\"$ref\":1}", "[[[[[[[[[[", "\"" + new string('x', 500) + "\"", " ", "\n")
        .Array[0, 80].Select(parts => string.Concat(parts));

    private static readonly Gen<byte[]> Bodies = Gen.Frequency(
        (3, JsonShaped.Select(s => Encoding.UTF8.GetBytes(s))),
        (2, Gen.Byte.Array[0, 600]),
        (1, Gen.Int[1, 3000].Select(depth => Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)))),
        (1, Gen.Const(Encoding.UTF8.GetBytes("{\"name\":\"a\",\"count\":1}"))));

    private static readonly Gen<string?> ContentTypes = Gen.OneOf<string?>(
        "application/json", "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "garbage/x;;=", null);

    private static readonly Gen<string> Methods = Gen.OneOf("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "FOO");

    [Fact]
    public async Task Random_bodies_to_every_endpoint_never_cause_a_500()
    {
        await using var gateway = await GatewayFixture.StartAsync(env: new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token },
            configureApp: TestEndpoints.Map);
        using var client = gateway.Client(Token);
        var templates = gateway.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.RoutePattern.RawText!).Distinct().ToArray();
        Assert.Contains("/control/status", templates);
        Assert.Contains(TestEndpoints.Echo, templates);
        var segment = Gen.OneOf("x", "..", ".", "%2e", "%00", "a%2fb", "{id}", "~", "e\u0301", new string('s', 200), "0", "-1");

        var cases = Gen.Select(Gen.OneOf(templates), segment, Methods, Bodies, ContentTypes).Array[150].Single();
        foreach (var (template, fill, method, body, contentType) in cases)
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

            Assert.True((int)response.StatusCode < 500, $"{method} {path} ({contentType}, {body.Length} bytes) -> {(int)response.StatusCode}: {text}");
            if ((int)response.StatusCode >= 400 && method != "HEAD")
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains("\"code\":", text, StringComparison.Ordinal);
            }
        }
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
}
