using Carapace.Abstractions.Webhooks;

namespace Carapace.Plugins.Channels;

/// <summary>Stable result codes of channel operations.</summary>
internal static class ChannelResultCodes
{
    public const string Ok = "ok";
    public const string ChannelNotFound = "channel_not_found";
    public const string NotOutbound = "channel_not_outbound";
    public const string ChannelFailed = "channel_failed";
    public const string ChannelTimeout = "channel_timeout";
    public const string WebhookNotFound = "webhook_not_found";
    public const string WebhookFailed = "webhook_failed";
    public const string WebhookTimeout = "webhook_timeout";
}

/// <summary>Outcome of sending through a channel.</summary>
internal sealed record ChannelSendResult(string Code, string ChannelId, string? PluginId, string? Error)
{
    public bool Succeeded => Code == ChannelResultCodes.Ok;
}

/// <summary>Outcome of handing an inbound HTTP request to a plugin's webhook receiver.</summary>
/// <param name="Code">One of <see cref="ChannelResultCodes"/>.</param>
/// <param name="PluginId">The plugin addressed.</param>
/// <param name="Response">The plugin's response when <see cref="Code"/> is <c>ok</c> (an ABI DTO: status, content type, bytes, headers).</param>
/// <param name="Error">What went wrong otherwise.</param>
internal sealed record WebhookDispatchResult(string Code, string PluginId, WebhookResponse? Response, string? Error)
{
    public bool Succeeded => Code == ChannelResultCodes.Ok;
}
