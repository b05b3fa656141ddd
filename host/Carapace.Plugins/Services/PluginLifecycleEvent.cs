namespace Carapace.Plugins.Services;

/// <summary>What happened to a plugin. The host maps these to audit events (<c>plugin_loaded</c>, ...).</summary>
internal enum PluginLifecycleEventKind
{
    Loaded,
    Failed,
    Enabled,
    Disabled,
    Reloaded,
    ReloadFailed,
    Unloaded,
    Leaked,
    Warning,
    ChannelRestarted,
    ChannelError,
    ToolFailed,
    ToolTimeout,
    PolicyDenied,
}

/// <summary>
/// A lifecycle event. Only strings and numbers: an observer may keep it forever without pinning a plugin.
/// </summary>
/// <param name="PluginId">The plugin (or channel id for policy events).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Message">Human-readable detail (a reason, an error message); never a secret.</param>
/// <param name="Milliseconds">Load or unload time where it applies.</param>
internal sealed record PluginLifecycleEvent(string PluginId, PluginLifecycleEventKind Kind, string? Message = null, double? Milliseconds = null)
{
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Extra flat fields (version, tool, channel, sender...).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}
