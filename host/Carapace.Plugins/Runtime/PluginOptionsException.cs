namespace Carapace.Plugins.Runtime;

/// <summary>
/// A <c>plugins.*</c> runtime setting has a value the runtime cannot use. The host turns it into a
/// configuration error (exit 2 from <c>cara start</c>) naming <see cref="Key"/>.
/// </summary>
internal sealed class PluginOptionsException : Exception
{
    public PluginOptionsException(string key, string message) : base($"{key}: {message}")
    {
        Key = key;
        Problem = message;
    }

    public PluginOptionsException() : this("plugins", "invalid setting") { }

    public PluginOptionsException(string message) : this("plugins", message) { }

    public PluginOptionsException(string message, Exception innerException) : base(message, innerException)
    {
        Key = "plugins";
        Problem = message;
    }

    /// <summary>Dotted key, e.g. <c>plugins.runtime.toolTimeoutSeconds</c>.</summary>
    public string Key { get; }

    /// <summary>What is wrong with the value (without the key).</summary>
    public string Problem { get; }
}
