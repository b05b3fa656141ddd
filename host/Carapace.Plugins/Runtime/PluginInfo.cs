using Carapace.Plugins.Manifest;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// A plugin as the control API and <c>cara plugins status</c> show it. Plain data, safe to
/// serialise and keep.
/// </summary>
/// <param name="Id">Plugin id (or the folder name when the manifest could not be read).</param>
/// <param name="State">active, disabled, failed, faulted, unloaded, leaked, loading, unloading, discovered.</param>
/// <param name="Reason">Why it is failed/disabled/faulted/leaked; null when active.</param>
/// <param name="Name">Display name from the manifest.</param>
/// <param name="Version">Version from the manifest.</param>
/// <param name="Source"><c>bundled</c>, <c>path</c>, <c>managed</c> or <c>linked</c>.</param>
/// <param name="Directory">Plugin folder.</param>
/// <param name="Kinds">channel and/or tool.</param>
/// <param name="Capabilities">Requested capabilities.</param>
/// <param name="LoadMs">Load + activation time of the current (or last) generation.</param>
/// <param name="UnloadMs">Time of the last unload (<paramref name="Unload"/>), including drain and verification.</param>
/// <param name="ErrorCount">Load failures, tool failures and timeouts, channel crashes.</param>
/// <param name="LastError">The most recent of those, as text.</param>
/// <param name="Warnings">Non-fatal findings (e.g. a harmless copy of a shared assembly).</param>
/// <param name="Tools">Tool names of the active generation.</param>
/// <param name="Channels">Channel ids of the active generation.</param>
/// <param name="Generation">How many times the plugin has been activated.</param>
/// <param name="InFlight">Calls running now.</param>
/// <param name="ActivatedAt">When the active generation started.</param>
/// <param name="Unload">The last verified unload (see <see cref="PluginSlot.LastUnload"/>); null after an enable.</param>
/// <param name="Managed">Lock-file facts and signature state of a managed or linked plugin; null otherwise.</param>
internal sealed record PluginInfo(
    string Id,
    string State,
    string? Reason,
    string? Name,
    string? Version,
    string Source,
    string Directory,
    IReadOnlyList<string> Kinds,
    PluginCapabilities Capabilities,
    double? LoadMs,
    double? UnloadMs,
    int ErrorCount,
    string? LastError,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Tools,
    IReadOnlyList<string> Channels,
    int Generation,
    int InFlight,
    DateTimeOffset? ActivatedAt,
    Loading.UnloadVerification? Unload,
    ManagedPluginInfo? Managed = null);

/// <summary>Outcome codes of enable/disable/reload.</summary>
internal static class PluginOperationCodes
{
    public const string Ok = "ok";
    public const string NotFound = "plugin_not_found";
    public const string Failed = "plugin_failed";
    public const string Leaked = "plugin_leaked";
    public const string DisabledGlobally = "plugins_disabled";
    public const string IdConflict = "plugin_id_conflict";
    public const string Disabled = "plugin_disabled";
}

/// <summary>Result of enable/disable/reload: a stable code, a message, and the plugin afterwards.</summary>
internal sealed record PluginOperationResult(string Code, string Message, PluginInfo? Plugin)
{
    public bool Succeeded => Code == PluginOperationCodes.Ok;
}
