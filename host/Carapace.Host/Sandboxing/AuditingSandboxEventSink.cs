using Carapace.Host.Audit;
using Carapace.Sandbox;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Sandboxing;

/// <summary>Turns the broker's security events into audit lines and log entries.</summary>
internal sealed class AuditingSandboxEventSink(IAuditLog audit, ILogger<AuditingSandboxEventSink> logger) : ISandboxEventSink
{
    public void RunRefused(SandboxRefusal refusal)
    {
        logger.LogWarning("Sandbox refused {Executable} for {Caller} (profile {Profile}): {Reason}",
            refusal.Executable, refusal.Caller ?? "host", refusal.Profile, refusal.Reason);
        audit.Write(AuditEvents.SandboxRefused, new Dictionary<string, object?>
        {
            ["plugin_id"] = refusal.Caller,
            ["profile"] = refusal.Profile,
            ["executable"] = refusal.Executable,
            ["reason"] = refusal.Reason,
        });
    }

    public void ProfileDenied(string pluginId, string profile, string reason)
    {
        logger.LogWarning("Plugin {PluginId} was denied sandbox profile {Profile}: {Reason}", pluginId, profile, reason);
        audit.Write(AuditEvents.CapabilityDenied, new Dictionary<string, object?>
        {
            ["plugin_id"] = pluginId,
            ["capability"] = "subprocess",
            ["reason"] = $"profile '{profile}': {reason}",
        });
    }

    public void RunCompleted(SandboxRunSummary summary) =>
        logger.LogInformation("Sandboxed run of {Executable} for {Caller} exited {ExitCode} in {DurationMs} ms{TimedOut}",
            summary.Executable, summary.Caller ?? "host", summary.ExitCode, (long)summary.Duration.TotalMilliseconds,
            summary.TimedOut ? " (timed out)" : string.Empty);
}
