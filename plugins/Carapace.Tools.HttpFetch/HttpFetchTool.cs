using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Abstractions;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Tools.HttpFetch;

/// <summary>
/// <c>http_fetch</c>: one request through <see cref="IPluginContext.Http"/>, which checks the plugin's
/// URL grants, its rate limit, the SSRF guard and the size and time caps. Refusals are not retried:
/// they become tool failures whose message starts with a stable code
/// (<c>capability_denied</c>, one of <see cref="OutboundErrorCodes"/>, or <c>invalid_request</c>).
/// </summary>
internal sealed class HttpFetchTool(IPluginContext context, FetchOptions options, ILogger<HttpFetchTool> logger) : ITool
{
    public const string CapabilityDenied = "capability_denied";
    public const string InvalidRequest = "invalid_request";

    // What a caller can use: caching, content description, redirects. Never Set-Cookie (session
    // secrets) and nothing the server uses to describe itself.
    private static readonly string[] ReturnedHeaders =
    [
        "content-type", "content-length", "content-language", "content-disposition", "content-range",
        "content-location", "accept-ranges", "last-modified", "etag", "location", "cache-control",
        "expires", "date", "age", "vary", "retry-after", "allow", "link",
    ];

    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "http_fetch",
        "Fetch a URL (within the operator's URL grants) and return the status, selected headers and the body as text or base64.",
        """
        {"type":"object","properties":{
          "url":{"type":"string","minLength":1,"maxLength":2048,"description":"Absolute http(s) URL."},
          "method":{"enum":["GET","HEAD","POST","PUT","PATCH","DELETE","OPTIONS"],"description":"Default GET."},
          "headers":{"type":"object","maxProperties":32,"additionalProperties":{"type":"string","maxLength":8192},
            "description":"Request headers. Host, Authorization, Cookie, Proxy-* and hop-by-hop headers are refused."},
          "body":{"type":"string","description":"Request body, sent as UTF-8 (Content-Type defaults to text/plain; charset=utf-8)."},
          "followRedirects":{"type":"boolean","description":"Follow up to 5 redirects, each re-checked against the grants."},
          "timeoutSeconds":{"type":"integer","minimum":1,"maximum":300,"description":"Capped by network.maxTimeoutSeconds."}
        },"required":["url"],"additionalProperties":false}
        """);

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var url = call.GetString("url")!;
        var method = call.GetString("method") ?? "GET";
        var body = call.GetString("body");
        if (body is not null && method is "GET" or "HEAD")
        {
            return Fail(InvalidRequest, $"a {method} request cannot carry a body", url);
        }

        var headersArgument = call.Arguments.TryGetProperty("headers", out var h) ? h : default;
        var (headers, contentType) = RequestHeaders.Read(headersArgument, out var headerError);
        if (headerError is not null)
        {
            return Fail(InvalidRequest, headerError, url);
        }

        headers.TryAdd("User-Agent", options.UserAgent);
        var request = new PluginHttpRequest(method, url)
        {
            Headers = headers,
            Body = body is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(body),
            ContentType = body is null ? contentType : contentType ?? "text/plain; charset=utf-8",
            FollowRedirects = call.GetBoolean("followRedirects") ?? options.FollowRedirects,
            Timeout = call.GetInt64("timeoutSeconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        };

        PluginHttpResponse response;
        try
        {
            response = await context.Http.SendAsync(request, cancellationToken);
        }
        catch (CapabilityDeniedException ex)
        {
            return Fail(CapabilityDenied, ex.Reason, url);
        }
        catch (OutboundRequestRejectedException ex)
        {
            return Fail(ex.Code, ex.Message, url);
        }

        return ToolResult.Json(Describe(response, method, options.MaxBodyBytes));
    }

    private static JsonObject Describe(PluginHttpResponse response, string method, int maxBodyBytes)
    {
        var headers = new JsonObject();
        foreach (var name in ReturnedHeaders)
        {
            if (response.Headers.TryGetValue(name, out var value))
            {
                headers[name] = value;
            }
        }

        var result = new JsonObject
        {
            ["status"] = response.StatusCode,
            ["url"] = response.FinalUrl,
            ["headers"] = headers,
            ["contentType"] = response.ContentType,
            ["bodyBytes"] = response.Body.Length,
        };
        if (method == "HEAD")
        {
            return result;
        }

        var body = ResponseBody.From(response.Body, response.ContentType, maxBodyBytes);
        result["bodyEncoding"] = body.Form;
        if (body.Charset is not null)
        {
            result["charset"] = body.Charset;
        }

        result["body"] = body.Content;
        result["truncated"] = body.Truncated;
        return result;
    }

    private ToolResult Fail(string code, string reason, string url)
    {
        var safe = UrlRedaction.Redact(reason, url);
        logger.LogInformation("http_fetch refused: {Code}: {Reason}", code, safe);
        var message = $"{code}: {safe}";
        return HostCode(code) is { } hostCode ? ToolResult.Failure(message, hostCode) : ToolResult.Failure(message);
    }

    /// <summary>
    /// A malformed request is the caller's mistake and a URL outside the grants (or the SSRF guard's
    /// address policy) the operator's decision: the host answers 400/403 and does not count either toward
    /// faulting the plugin. Network failures (timeouts, DNS, resets) stay ordinary tool failures.
    /// </summary>
    private static string? HostCode(string code) => code switch
    {
        InvalidRequest or OutboundErrorCodes.InvalidUrl or OutboundErrorCodes.RequestTooLarge => ToolErrorCodes.InvalidRequest,
        CapabilityDenied or OutboundErrorCodes.SsrfBlocked => ToolErrorCodes.CapabilityDenied,
        _ => null,
    };
}

/// <summary>Registers the options; the tool itself is found by the host's scan.</summary>
public sealed class HttpFetchStartup : IPluginStartup
{
    public void ConfigureServices(IServiceCollection services, IPluginContext context) => services.AddSingleton<FetchOptions>();
}
