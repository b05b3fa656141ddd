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
    /// <summary>A channel's sender was refused by <c>channels.&lt;id&gt;.allowFrom</c>; data: channel, sender, policy.</summary>
    PolicyDenied,

    /// <summary>A channel message asked for a tool <c>channels.&lt;id&gt;.tools</c> does not list; data: channel, sender, policy, tool_name.</summary>
    ToolDenied,

    /// <summary>A managed plugin was installed (or linked); data: version, sha256, publisher, signature, overrides, source.</summary>
    Installed,

    /// <summary>A managed plugin was replaced by another version (or the same version with other content, with --yes).</summary>
    Updated,

    /// <summary>A managed plugin was unloaded and its lock entry (and files) removed.</summary>
    Uninstalled,

    /// <summary>A package's signature verified against a trusted publisher at install.</summary>
    SignatureVerified,

    /// <summary>A signature was refused, at install or at load; the message holds the code and reason.</summary>
    SignatureFailed,

    /// <summary>An install was refused because vetting found banned API use.</summary>
    VettingRefused,

    /// <summary>An install or update was refused (any reason); data: reason (the stable code), source, actor.</summary>
    InstallRefused,
}

/// <summary>
/// A lifecycle event. Only strings and numbers: an observer may keep it forever without pinning a plugin.
/// </summary>
/// <param name="PluginId">The plugin (for policy events, the plugin that provides the channel).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Message">Human-readable detail (a reason, an error message); never a secret.</param>
/// <param name="Milliseconds">Load or unload time where it applies.</param>
internal sealed record PluginLifecycleEvent(string PluginId, PluginLifecycleEventKind Kind, string? Message = null, double? Milliseconds = null)
{
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Extra flat fields (version, tool, channel, sender...).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}
