namespace Carapace.Host.Audit;

/// <summary>Stable audit event names (the public contract of <c>audit.jsonl</c>).</summary>
internal static class AuditEvents
{
    public const string AuthFailure = "auth_failure";
    public const string AuthLockout = "auth_lockout";
    public const string AuthLockoutRefused = "auth_lockout_refused";
    public const string AuthFailuresSuppressed = "auth_failures_suppressed";
    public const string ConfigChanged = "config_changed";
    public const string PluginLoaded = "plugin_loaded";
    public const string PluginUnloaded = "plugin_unloaded";
    public const string PluginLeaked = "plugin_leaked";
    public const string PluginFailed = "plugin_failed";
    public const string PluginEnabled = "plugin_enabled";
    public const string PluginDisabled = "plugin_disabled";
    public const string PluginReloaded = "plugin_reloaded";
    public const string PluginInstalled = "plugin_installed";
    public const string PluginUpdated = "plugin_updated";
    public const string PluginUninstalled = "plugin_uninstalled";
    public const string PluginSignatureVerified = "plugin_signature_verified";
    public const string PluginSignatureFailed = "plugin_signature_failed";
    public const string PluginVettingRefused = "plugin_vetting_refused";
    public const string PluginInstallRefused = "plugin_install_refused";
    public const string CapabilityDenied = "capability_denied";
    public const string CapabilityDeniedSuppressed = "capability_denied_suppressed";

    /// <summary>A channel message asked for a tool the channel's policy does not allow (upstream <c>tool_denied{tool_name,...}</c>).</summary>
    public const string ToolDenied = "tool_denied";
    public const string SandboxRefused = "sandbox_refused";
    public const string CredentialWritten = "credential_written";
    public const string CredentialDeleted = "credential_deleted";
    public const string AuditEventsDropped = "audit_events_dropped";
    public const string AuditEventTooLarge = "audit_event_too_large";
}
