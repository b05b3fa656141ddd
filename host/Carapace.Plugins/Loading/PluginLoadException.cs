namespace Carapace.Plugins.Loading;

/// <summary>Loading or activating a plugin failed; <see cref="Exception.Message"/> is the reason shown to the operator.</summary>
internal sealed class PluginLoadException : Exception
{
    public PluginLoadException(string message) : base(message) { }

    public PluginLoadException(string message, Exception innerException) : base(message, innerException) { }

    public PluginLoadException() { }
}
