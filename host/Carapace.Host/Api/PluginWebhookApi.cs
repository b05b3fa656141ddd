using Carapace.Abstractions.Webhooks;
using Carapace.Host.Security;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary>
/// <c>ANY /plugins/{pluginId}/{**path}</c>: inbound HTTP for channel plugins (e.g. the webhook channel).
/// Not behind control auth: the plugin authenticates its callers (shared secret or HMAC); its 401s count
/// toward a lockout and are audited (<see cref="WebhookAuthFailures"/>). The host
/// caps the body, copies the request into an ABI DTO, and forwards only allowlisted response headers
/// (as upstream), so a plugin cannot set cookies, redirects or caching on the gateway's origin.
/// </summary>
internal static class PluginWebhookApi
{
    public const int MaxBodyBytes = 256 * 1024;

    private static readonly HashSet<string> ForwardedHeaders =
        new(["content-language", "etag", "last-modified", "vary", "retry-after"], StringComparer.OrdinalIgnoreCase);

    public static IEndpointRouteBuilder MapPluginWebhooks(this IEndpointRouteBuilder routes)
    {
        routes.Map("/plugins/{pluginId}/{**path}", async (string pluginId, string? path, HttpContext context, PluginRuntime runtime,
            WebhookAuthFailures authFailures) =>
        {
            if (authFailures.RefuseIfLockedOut(context) is { } lockedOut)
            {
                return lockedOut;
            }

            var body = await ReadCappedAsync(context.Request, context.RequestAborted);
            if (body is null)
            {
                return ControlProblem.Create(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "Payload too large",
                    $"webhook bodies are limited to {MaxBodyBytes / 1024} KiB");
            }

            var relativePath = "/" + (path ?? string.Empty);
            var request = new WebhookRequest(
                context.Request.Method,
                relativePath,
                context.Request.QueryString.Value ?? string.Empty,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal),
                body.Value,
                // Resolved through gateway.trustedProxies, as for limits and audit: the plugin sees the client, not the proxy.
                ClientAddress.Of(context).Text);

            var result = await runtime.DispatchWebhookAsync(pluginId, request, context.RequestAborted);
            if (result.Code == ChannelResultCodes.Ok && result.Response!.StatusCode == StatusCodes.Status401Unauthorized)
            {
                authFailures.Failed(context, pluginId, relativePath);
            }

            return result.Code switch
            {
                ChannelResultCodes.Ok => new WebhookResult(result.Response!),
                ChannelResultCodes.WebhookNotFound => ControlProblem.NotFound("not_found", "No such endpoint."),
                ChannelResultCodes.WebhookTimeout => ControlProblem.Create(StatusCodes.Status504GatewayTimeout, result.Code, "Webhook timed out", $"plugin '{pluginId}' did not answer in time"),
                _ => ControlProblem.Create(StatusCodes.Status502BadGateway, result.Code, "Webhook handler error", $"plugin '{pluginId}' failed to handle the request"),
            };
        });
        return routes;
    }

    private static async Task<ReadOnlyMemory<byte>?> ReadCappedAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        // Kestrel counts a chunked body's framing (the chunk-size lines) against its own limit, which
        // would refuse a chunked body of exactly MaxBodyBytes. The exact cap is enforced on the decoded
        // bytes below; the server limit only bounds the framing overhead.
        var serverLimit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (request.ContentLength is null && serverLimit is { IsReadOnly: false })
        {
            serverLimit.MaxRequestBodySize = 2L * MaxBodyBytes;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // A chunked body with more framing than data crossed the server's limit while being read.
            return null;
        }

        return buffer.ToArray();
    }

    private sealed class WebhookResult(WebhookResponse response) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = response.StatusCode is >= 100 and <= 599 ? response.StatusCode : StatusCodes.Status502BadGateway;
            foreach (var (name, value) in response.Headers)
            {
                if (ForwardedHeaders.Contains(name) || name.StartsWith("x-plugin-", StringComparison.OrdinalIgnoreCase))
                {
                    context.Response.Headers[name] = value;
                }
            }

            if (response.ContentType is not null)
            {
                context.Response.ContentType = response.ContentType;
            }

            await context.Response.Body.WriteAsync(response.Body, context.RequestAborted);
        }
    }
}
