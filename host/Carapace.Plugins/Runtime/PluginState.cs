namespace Carapace.Plugins.Runtime;

/// <summary>
/// Lifecycle states. <c>discovered → loading → active ⇄ disabled</c>, and terminal-until-acted-on
/// <c>failed</c> (with a reason), <c>faulted</c> (too many failures), <c>unloaded</c> (host stop),
/// <c>leaked</c> (unload did not complete; restart required).
/// </summary>
internal enum PluginState
{
    Discovered,
    Loading,
    Active,
    Unloading,
    Disabled,
    Failed,
    Faulted,
    Unloaded,
    Leaked,
}

internal static class PluginStateNames
{
    public static string ToWire(this PluginState state) => state switch
    {
        PluginState.Discovered => "discovered",
        PluginState.Loading => "loading",
        PluginState.Active => "active",
        PluginState.Unloading => "unloading",
        PluginState.Disabled => "disabled",
        PluginState.Failed => "failed",
        PluginState.Faulted => "faulted",
        PluginState.Unloaded => "unloaded",
        PluginState.Leaked => "leaked",
        _ => state.ToString().ToLowerInvariant(),
    };
}

/// <summary>Where a plugin was found.</summary>
internal enum PluginSource
{
    Bundled,
    Path,

    /// <summary>Installed under <c>&lt;state&gt;/plugins/&lt;id&gt;/&lt;version&gt;</c> and pinned in the lock file.</summary>
    Managed,

    /// <summary>A development directory registered in the lock file with <c>--link</c>.</summary>
    Linked,
}
