using Carapace.Host.Audit;
using Carapace.Plugins.Services;

namespace Carapace.Host.PluginHosting;

/// <summary>Writes plugin lifecycle events to the audit log (the runtime already logs them).</summary>
internal sealed class AuditingPluginLifecycleObserver(IAuditLog audit) : IPluginLifecycleObserver
{
    public void OnEvent(PluginLifecycleEvent lifecycleEvent)
    {
        var name = EventName(lifecycleEvent.Kind);
        if (name is null)
        {
            return;
        }

        var data = new Dictionary<string, object?>
        {
            ["plugin_id"] = lifecycleEvent.PluginId,
            ["message"] = lifecycleEvent.Message,
            ["ms"] = lifecycleEvent.Milliseconds,
        };
        foreach (var (key, value) in lifecycleEvent.Data)
        {
            data[key] = value;
        }

        audit.Write(name, data);
    }

    // Channel restarts and single tool failures are operational noise for the log, not audit events.
    private static string? EventName(PluginLifecycleEventKind kind) => kind switch
    {
        PluginLifecycleEventKind.Loaded => AuditEvents.PluginLoaded,
        PluginLifecycleEventKind.Failed => AuditEvents.PluginFailed,
        PluginLifecycleEventKind.Enabled => AuditEvents.PluginEnabled,
        PluginLifecycleEventKind.Disabled => AuditEvents.PluginDisabled,
        PluginLifecycleEventKind.Reloaded => AuditEvents.PluginReloaded,
        PluginLifecycleEventKind.ReloadFailed => AuditEvents.PluginFailed,
        PluginLifecycleEventKind.Unloaded => AuditEvents.PluginUnloaded,
        PluginLifecycleEventKind.Leaked => AuditEvents.PluginLeaked,
        PluginLifecycleEventKind.PolicyDenied => AuditEvents.CapabilityDenied,
        PluginLifecycleEventKind.ToolDenied => AuditEvents.ToolDenied,
        PluginLifecycleEventKind.Installed => AuditEvents.PluginInstalled,
        PluginLifecycleEventKind.Updated => AuditEvents.PluginUpdated,
        PluginLifecycleEventKind.Uninstalled => AuditEvents.PluginUninstalled,
        PluginLifecycleEventKind.SignatureVerified => AuditEvents.PluginSignatureVerified,
        PluginLifecycleEventKind.SignatureFailed => AuditEvents.PluginSignatureFailed,
        PluginLifecycleEventKind.VettingRefused => AuditEvents.PluginVettingRefused,
        PluginLifecycleEventKind.InstallRefused => AuditEvents.PluginInstallRefused,
        _ => null,
    };
}
