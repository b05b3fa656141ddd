namespace Carapace.Plugins.Loading;

/// <summary>Loading or activating a plugin failed; <see cref="Exception.Message"/> is the reason shown to the operator.</summary>
internal sealed class PluginLoadException : Exception
{
    public PluginLoadException(string message) : base(message) { }

    public PluginLoadException(string message, Exception innerException) : base(message, innerException) { }

    public PluginLoadException() { }

    /// <summary>
    /// Set when the failure came after the plugin's assembly was loaded (and its code may have run):
    /// the context has been unloaded and the runtime must verify it was collected (rule 10).
    /// </summary>
    public WeakReference? LoadContext { get; init; }
}
