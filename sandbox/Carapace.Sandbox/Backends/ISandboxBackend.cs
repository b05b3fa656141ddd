using Carapace.Abstractions.Sandbox;

namespace Carapace.Sandbox.Backends;

/// <summary>What a platform backend can enforce on this machine, probed once at start.</summary>
public sealed record SandboxBackendStatus(
    string Backend,
    bool Available,
    string? UnavailableReason,
    IReadOnlyList<string> Restrictions,
    int? LandlockAbi,
    int? LandlockErrata,
    string? LauncherKind,
    string? LauncherPath,
    bool Partial)
{
    /// <summary>Linux: the newest Landlock ABI the launcher knows the rights of.</summary>
    public int? LandlockKnownAbi { get; init; }

    /// <summary>Linux: the ABI the ruleset is built for, min(kernel, known); 0 when Landlock cannot be used.</summary>
    public int? LandlockEffectiveAbi { get; init; }
}

/// <summary>One OS's way of confining a process. Implementations refuse rather than run weaker.</summary>
internal interface ISandboxBackend : IAsyncDisposable
{
    SandboxBackendStatus Status { get; }

    /// <summary>Why this request cannot be enforced here, or null when it can.</summary>
    string? RefusalFor(SandboxRequest request);

    /// <summary>The probe for the start-up self-test: reading <paramref name="canaryPath"/> must fail.</summary>
    SandboxRequest SelfTestRequest(string canaryPath);

    /// <summary>True when the self-test probe failed the way this platform denies access (EACCES, EPERM, Access is denied), not for another reason.</summary>
    bool SelfTestDenied(SandboxResult probe);

    /// <summary>Runs confined. Throws <see cref="SandboxUnavailableException"/> if confinement failed (nothing ran).</summary>
    Task<BackendRun> RunAsync(SandboxRequest request, CancellationToken cancellationToken);
}

/// <summary>A finished run plus what the audit trail needs to know about it.</summary>
internal sealed record BackendRun(SandboxResult Result, int ProcessId, uint? RunUid);
