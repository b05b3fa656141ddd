namespace Carapace.Sandbox.Diagnostics;

/// <summary>What <c>cara sandbox check</c> and <c>GET /control/sandbox</c> print.</summary>
/// <param name="Os">linux, macos, windows, or the OS description when unsupported.</param>
/// <param name="Backend">The backend in use, or null when the OS has none.</param>
/// <param name="Partial">The backend is implemented but not verified by the test suite on this project's CI.</param>
/// <param name="LandlockAbi">Linux only: the kernel's Landlock ABI (0 = unavailable).</param>
/// <param name="LandlockErrata">Linux only: the kernel's Landlock errata bitmask.</param>
/// <param name="LandlockKnownAbi">Linux only: the newest ABI whose rights the launcher knows.</param>
/// <param name="LandlockEffectiveAbi">Linux only: the ABI the ruleset is built for, min(kernel, known); 0 when unusable.</param>
/// <param name="Restrictions">What a confined run is subject to on this machine.</param>
/// <param name="LauncherKind">native-aot or framework-dependent (Linux), or the macOS helper.</param>
/// <param name="LauncherPath">Where the launcher was found.</param>
/// <param name="SelfTest">passed or failed.</param>
/// <param name="SelfTestDetail">Why.</param>
/// <param name="RunsRefused">True when every sandbox-required run would be refused (the CLI exits 1).</param>
/// <param name="RefusalReason">The reason they would be refused.</param>
public sealed record SandboxReport(
    string Os,
    string? Backend,
    bool Partial,
    int? LandlockAbi,
    int? LandlockErrata,
    int? LandlockKnownAbi,
    int? LandlockEffectiveAbi,
    IReadOnlyList<string> Restrictions,
    string? LauncherKind,
    string? LauncherPath,
    string SelfTest,
    string SelfTestDetail,
    bool RunsRefused,
    string? RefusalReason);

/// <summary>Builds the <see cref="SandboxReport"/> for this machine (runs the self-test if it has not run yet).</summary>
public sealed class SandboxDiagnostics(SandboxBroker broker)
{
    public async Task<SandboxReport> CheckAsync(CancellationToken cancellationToken = default)
    {
        var status = broker.BackendStatus;
        var selfTest = await broker.EnsureSelfTestAsync(cancellationToken);
        string? refusal = status is null ? broker.UnsupportedReason
            : !status.Available ? status.UnavailableReason
            : !selfTest.Passed ? "sandbox self-test failed: " + selfTest.Detail
            : null;
        return new SandboxReport(
            Backends.SandboxPlatform.Describe(broker.Os),
            status?.Backend,
            status?.Partial ?? false,
            status?.LandlockAbi,
            status?.LandlockErrata,
            status?.LandlockKnownAbi,
            status?.LandlockEffectiveAbi,
            status?.Restrictions ?? [],
            status?.LauncherKind,
            status?.LauncherPath,
            selfTest.Status,
            selfTest.Detail,
            refusal is not null,
            refusal);
    }
}
