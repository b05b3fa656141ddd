using System.Diagnostics;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Policy;
using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.MacOS;

/// <summary>
/// macOS (PARTIAL, never run here): /bin/sh sets rlimits soft = hard, perl makes the run its own session
/// and process group, then <c>sandbox-exec -f &lt;0600 profile in the scratch dir&gt;</c> applies the generated
/// SBPL profile and execs the target. Fails closed when sandbox-exec or perl is missing, and for limits
/// macOS cannot enforce (address space).
/// </summary>
internal sealed class MacSeatbeltBackend : ISandboxBackend
{
    private readonly SandboxPlatform _platform;
    private readonly ScratchDirectories _scratch;
    private readonly LiveProcessRegistry _live = new();

    public MacSeatbeltBackend(SandboxOptions options, SandboxPlatform platform, ScratchDirectories scratch)
    {
        _ = options;
        _platform = platform;
        _scratch = scratch;
        var missing = new[] { SeatbeltProfile.SandboxExecPath, SeatbeltProfile.PerlPath }.FirstOrDefault(p => !File.Exists(p));
        Status = new SandboxBackendStatus("macos-seatbelt", missing is null,
            missing is null ? null : $"{missing} is missing (the macOS backend needs sandbox-exec and the system perl)",
            [
                "seatbelt profile (deny default; exec only inside the roots)",
                "rlimits soft=hard via sh ulimit (cpu, nofile, nproc, fsize, core=0)",
                "own session and process group (whole-group kill), SIGPIPE/SIGXFSZ reset",
            ],
            null, null, "sh+perl+sandbox-exec", SeatbeltProfile.SandboxExecPath, Partial: true);
    }

    public SandboxBackendStatus Status { get; }

    public string? RefusalFor(SandboxRequest request) =>
        !Status.Available ? Status.UnavailableReason
        : request.Limits.AddressSpaceBytes is not null ? "an address-space limit cannot be enforced on macOS (RLIMIT_AS is not supported there)"
        : null;

    public SandboxRequest SelfTestRequest(string canaryPath) => new()
    {
        Executable = "/bin/cat",
        Arguments = [canaryPath],
        ReadOnlyRoots = SeatbeltProfile.SystemRoots.Where(Path.Exists).ToList(),
        Caller = "sandbox:self-test",
    };

    /// <summary>Seatbelt answers a denied open with EPERM.</summary>
    public bool SelfTestDenied(SandboxResult probe) =>
        probe.ExitCode == 1 && probe.StderrText.Contains(": Operation not permitted", StringComparison.Ordinal);

    public async Task<BackendRun> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        var scratch = _scratch.Create("run", null);
        try
        {
            var rw = request.ReadWriteRoots.Append(scratch).Select(Canonical).ToList();
            var ro = request.ReadOnlyRoots.Select(Canonical).ToList();
            RequestValidator.RequireExecutableInsideRoots(request.Executable, ro.Concat(rw), PathResolver.RealPath, StringComparison.Ordinal);
            RequestValidator.RequireWorkingDirectoryInsideRoots(request.WorkingDirectory, ro.Concat(rw), PathResolver.RealPath, StringComparison.Ordinal);
            var psi = StartInfo(request, scratch, ro, rw, _platform.GetEnvironmentVariable, out var profile, out var profilePath);
            await File.WriteAllTextAsync(profilePath, profile, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(profilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var driven = await ProcessDriver.RunAsync(() => DotNetChildProcess.Start(psi), ReadOnlyMemory<byte>.Empty, request, null,
                KillGroup, KillEverything, _live, cancellationToken);
            if (driven.ExitCode == 125 && !driven.TimedOut)
            {
                throw new SandboxUnavailableException("sandbox-exec or the rlimit/session prologue failed: " + System.Text.Encoding.UTF8.GetString(driven.Stderr.Bytes.Span).Trim());
            }

            var result = new SandboxResult(driven.ExitCode, driven.Stdout.Bytes, driven.Stderr.Bytes,
                driven.Stdout.Truncated, driven.Stderr.Truncated, driven.TimedOut, driven.Duration);
            return new BackendRun(result, driven.ProcessId, null);
        }
        finally
        {
            ScratchDirectories.Delete(scratch);
        }
    }

    /// <summary>The prologue's start info and the profile it will apply (unit-tested on Linux with stand-ins for the helpers).</summary>
    internal static ProcessStartInfo StartInfo(SandboxRequest request, string scratch, IReadOnlyList<string> readOnly, IReadOnlyList<string> readWrite,
        Func<string, string?> hostEnvironment, out string profile, out string profilePath,
        string sandboxExec = SeatbeltProfile.SandboxExecPath, string perl = SeatbeltProfile.PerlPath)
    {
        profile = SeatbeltProfile.Generate(readOnly, readWrite, request.Network);
        profilePath = Path.Combine(scratch, ".carapace.sb");
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = request.WorkingDirectory ?? scratch };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(SeatbeltProfile.Prologue(request.Limits, sandboxExec, perl));
        psi.ArgumentList.Add(profilePath);
        psi.ArgumentList.Add(request.Executable);
        foreach (var a in request.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Clear();
        foreach (var (k, v) in EnvironmentPolicy.Build(request, scratch, hostEnvironment))
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    private static void KillGroup(DotNetChildProcess process)
    {
        PosixSignals.KillGroup(process.Id);
    }

    private static void KillEverything(DotNetChildProcess process)
    {
        process.KillTree(); // first, while the main process lives (see the Linux backend)
        PosixSignals.KillGroup(process.Id);
    }

    // Seatbelt matches resolved paths (/tmp is /private/tmp).
    private static string Canonical(string path) => PathResolver.RealPath(path) ?? path;

    public ValueTask DisposeAsync()
    {
        _live.KillAll();
        return ValueTask.CompletedTask;
    }
}
