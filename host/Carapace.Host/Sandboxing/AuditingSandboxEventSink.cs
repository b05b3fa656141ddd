using System.Diagnostics.Metrics;
using Carapace.Host.Audit;
using Carapace.Sandbox;
using Carapace.Sandbox.Configuration;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Sandboxing;

/// <summary>
/// Turns the broker's security events into audit lines, log entries and metrics: meter
/// <c>Carapace.Sandbox</c>, <c>runs{profile,outcome}</c> (outcome <c>exited</c>, <c>timed_out</c> or
/// <c>refused</c>) and <c>run.duration{profile}</c> in seconds. A profile label is a configured profile's
/// name, <c>(none)</c> for a request made without one, and <c>(other)</c> for a name that is not configured,
/// so callers cannot grow the series.
/// </summary>
internal sealed class AuditingSandboxEventSink : ISandboxEventSink
{
    public const string MeterName = "Carapace.Sandbox";
    public const string OtherProfile = "(other)";
    public const string NoProfile = "(none)";

    private readonly IAuditLog _audit;
    private readonly ILogger<AuditingSandboxEventSink> _logger;
    private readonly SandboxProfiles _profiles;
    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;

    public AuditingSandboxEventSink(IAuditLog audit, ILogger<AuditingSandboxEventSink> logger, SandboxProfiles profiles, IMeterFactory meters)
    {
        _audit = audit;
        _logger = logger;
        _profiles = profiles;
        var meter = meters.Create(MeterName);
        _runs = meter.CreateCounter<long>("runs", description: "Sandboxed runs by profile and outcome (exited, timed_out, refused).");
        _duration = meter.CreateHistogram<double>("run.duration", unit: "s", description: "Wall time of sandboxed runs that started.");
    }

    public void RunRefused(SandboxRefusal refusal)
    {
        Count(Profile(refusal.Profile), "refused", null);
        _logger.LogWarning("Sandbox refused {Executable} for {Caller} (profile {Profile}): {Reason}",
            refusal.Executable, refusal.Caller ?? "host", refusal.Profile, refusal.Reason);
        _audit.Write(AuditEvents.SandboxRefused, new Dictionary<string, object?>
        {
            ["plugin_id"] = refusal.Caller,
            ["profile"] = refusal.Profile,
            ["executable"] = refusal.Executable,
            ["reason"] = refusal.Reason,
        });
    }

    public void ProfileDenied(string pluginId, string profile, string reason)
    {
        _logger.LogWarning("Plugin {PluginId} was denied sandbox profile {Profile}: {Reason}", pluginId, profile, reason);
        _audit.Write(AuditEvents.CapabilityDenied, new Dictionary<string, object?>
        {
            ["plugin_id"] = pluginId,
            ["capability"] = "subprocess",
            ["reason"] = $"profile '{profile}': {reason}",
        });
    }

    public void RunCompleted(SandboxRunSummary summary)
    {
        Count(Profile(summary.Profile), summary.TimedOut ? "timed_out" : "exited", summary.Duration);
        _logger.LogInformation("Sandboxed run of {Executable} for {Caller} exited {ExitCode} in {DurationMs} ms{TimedOut}",
            summary.Executable, summary.Caller ?? "host", summary.ExitCode, (long)summary.Duration.TotalMilliseconds,
            summary.TimedOut ? " (timed out)" : string.Empty);
    }

    /// <summary>
    /// Records without the caller's execution context. The broker reports from inside a plugin's call, whose
    /// context holds the plugin's load context (contextual reflection is an AsyncLocal); the exporter may start
    /// timers while recording (series expiry), and a timer that captured that context kept the plugin from
    /// ever unloading (found by ToolPluginGatewayTests: "plugin shell leaked").
    /// </summary>
    private void Count(KeyValuePair<string, object?> profile, string outcome, TimeSpan? duration)
    {
        using (ExecutionContext.SuppressFlow())
        {
            _runs.Add(1, profile, new KeyValuePair<string, object?>("outcome", outcome));
            if (duration is { } took)
            {
                _duration.Record(took.TotalSeconds, profile);
            }
        }
    }

    private KeyValuePair<string, object?> Profile(string? name) =>
        new("profile", name is null ? NoProfile : _profiles.TryGet(name, out _) ? name.ToLowerInvariant() : OtherProfile);
}
