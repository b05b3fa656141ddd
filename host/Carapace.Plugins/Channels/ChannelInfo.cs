namespace Carapace.Plugins.Channels;

/// <summary>State of a channel's supervised receive loop.</summary>
internal enum ChannelRunState
{
    Starting,
    Running,
    Restarting,
    Error,
    Stopped,
}

/// <summary>A channel as the control API lists it.</summary>
/// <param name="Id">Channel id.</param>
/// <param name="PluginId">Plugin that provides it.</param>
/// <param name="State">running, restarting, error, stopped.</param>
/// <param name="Restarts">Loop restarts since activation.</param>
/// <param name="LastError">Last crash, as text.</param>
/// <param name="Inbound">Receives messages.</param>
/// <param name="Outbound">Can send messages.</param>
/// <param name="IsLocal">Local operator only (allowFrom defaults to allow); only a bundled plugin's claim counts.</param>
/// <param name="AcceptsWebhooks">Handles <c>/plugins/&lt;plugin-id&gt;/...</c>.</param>
internal sealed record ChannelInfo(
    string Id,
    string PluginId,
    string State,
    int Restarts,
    string? LastError,
    bool Inbound,
    bool Outbound,
    bool IsLocal,
    bool AcceptsWebhooks);
