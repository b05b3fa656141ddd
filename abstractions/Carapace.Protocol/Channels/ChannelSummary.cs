namespace Carapace.Protocol.Channels;

/// <summary>A channel as <c>GET /control/channels</c> lists it.</summary>
/// <param name="State">running, restarting, error, stopped.</param>
public sealed record ChannelSummary(
    string Id,
    string PluginId,
    string State,
    int Restarts,
    string? LastError,
    bool Inbound,
    bool Outbound,
    bool IsLocal,
    bool AcceptsWebhooks);

/// <summary><c>GET /control/channels</c>.</summary>
public sealed record ChannelsResponse(int Total, int Connected, IReadOnlyList<ChannelSummary> Channels);

/// <summary>Body of <c>POST /control/channels/{id}/send</c>.</summary>
public sealed record ChannelSendRequest(string ConversationId, string Text);

/// <summary>A successful send.</summary>
public sealed record ChannelSendResponse(bool Ok, string ChannelId, string? PluginId);
