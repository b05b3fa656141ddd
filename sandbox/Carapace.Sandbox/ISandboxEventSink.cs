namespace Carapace.Sandbox;

/// <summary>
/// Where the broker reports security-relevant events. The host implements it on top of its audit log
/// (<c>sandbox_refused</c>, <c>capability_denied</c>); the default does nothing.
/// Implementations must be fast and must not throw.
/// </summary>
public interface ISandboxEventSink
{
    /// <summary>A run was refused because the sandbox could not enforce it (fail closed).</summary>
    void RunRefused(SandboxRefusal refusal);

    /// <summary>A plugin asked for a profile it was not granted.</summary>
    void ProfileDenied(string pluginId, string profile, string reason);

    /// <summary>A confined run finished (any exit code, timeout included).</summary>
    void RunCompleted(SandboxRunSummary summary);
}

public sealed record SandboxRefusal(string? Caller, string? Profile, string Executable, string Reason);

public sealed record SandboxRunSummary(
    string? Caller,
    string? Profile,
    string Executable,
    int ProcessId,
    uint? RunUid,
    int ExitCode,
    bool TimedOut,
    TimeSpan Duration);

public sealed class NullSandboxEventSink : ISandboxEventSink
{
    public static NullSandboxEventSink Instance { get; } = new();

    public void RunRefused(SandboxRefusal refusal) { }

    public void ProfileDenied(string pluginId, string profile, string reason) { }

    public void RunCompleted(SandboxRunSummary summary) { }
}
