using Carapace.Abstractions.Channels;
using Carapace.Host.PluginHosting;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Runtime;
using Carapace.Protocol;
using Carapace.Protocol.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary><c>GET /control/channels</c> and <c>POST /control/channels/{id}/send</c>.</summary>
internal static class ChannelsApi
{
    public static IEndpointRouteBuilder MapChannels(this IEndpointRouteBuilder control)
    {
        control.MapGet("/channels", (PluginRuntime runtime) =>
        {
            var channels = runtime.ListChannels().Select(c => c.ToSummary()).ToList();
            return TypedResults.Ok(new ChannelsResponse(channels.Count, channels.Count(c => c.State == "running"), channels));
        });

        control.MapPost("/channels/{id}/send", async (string id, HttpRequest request, PluginRuntime runtime, CancellationToken ct) =>
        {
            ChannelSendRequest? body;
            try
            {
                body = await System.Text.Json.JsonSerializer.DeserializeAsync(request.Body, ProtocolJson.Default.ChannelSendRequest, ct);
            }
            catch (System.Text.Json.JsonException)
            {
                body = null;
            }

            if (body is null || string.IsNullOrWhiteSpace(body.ConversationId) || body.Text is null)
            {
                return ControlProblem.BadRequest("invalid_request", "body must be {\"conversationId\": \"…\", \"text\": \"…\"}");
            }

            var result = await runtime.SendAsync(id, new OutboundMessage(body.ConversationId, body.Text), ct);
            if (result.Succeeded)
            {
                return Results.Ok(new ChannelSendResponse(true, result.ChannelId, result.PluginId));
            }

            var status = result.Code switch
            {
                ChannelResultCodes.ChannelNotFound => StatusCodes.Status404NotFound,
                ChannelResultCodes.NotOutbound => StatusCodes.Status409Conflict,
                ChannelResultCodes.ChannelTimeout => StatusCodes.Status504GatewayTimeout,
                _ => StatusCodes.Status502BadGateway,
            };
            return ControlProblem.Create(status, result.Code, "Send failed", result.Error);
        });
        return control;
    }
}
