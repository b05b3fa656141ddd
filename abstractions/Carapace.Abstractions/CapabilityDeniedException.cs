namespace Carapace.Abstractions;

/// <summary>
/// Thrown by a host service when the calling plugin has not been granted the capability it needs
/// (for example an outbound URL outside its grants, or credentials without the <c>credentials</c> grant).
/// The host audits every denial.
/// </summary>
public sealed class CapabilityDeniedException : Exception
{
    public CapabilityDeniedException(string pluginId, string capability, string reason)
        : base($"plugin '{pluginId}' was denied capability '{capability}': {reason}")
    {
        PluginId = pluginId;
        Capability = capability;
        Reason = reason;
    }

    public CapabilityDeniedException() : this("unknown", "unknown", "denied") { }

    public CapabilityDeniedException(string message) : base(message)
    {
        PluginId = "unknown";
        Capability = "unknown";
        Reason = message;
    }

    public CapabilityDeniedException(string message, Exception innerException) : base(message, innerException)
    {
        PluginId = "unknown";
        Capability = "unknown";
        Reason = message;
    }

    public string PluginId { get; }
    public string Capability { get; }
    public string Reason { get; }
}
