using System.Diagnostics;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Policy;
using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.MacOS;

/// <summary>
/// macOS (PARTIAL, untested here): /bin/sh sets rlimits soft = hard, then execs
/// <c>sandbox-exec -f &lt;0600 profile in the scratch dir&gt;</c> with the generated SBPL profile.
/// Fails closed when sandbox-exec is missing.
/// </summary>
internal sealed class MacSeatbeltBackend : ISandboxBackend
{
    private const string SandboxExec = "/usr/bin/sandbox-exec";
    private readonly SandboxPlatform _platform;
    private readonly ScratchDirectories _scratch;
    private readonly LiveProcessRegistry _live = new();

    public MacSeatbeltBackend(SandboxOptions options, SandboxPlatform platform, ScratchDirectories scratch)
    {
        _ = options;
        _platform = platform;
        _scratch = scratch;
        var available = File.Exists(SandboxExec);
        Status = new SandboxBackendStatus("macos-seatbelt", available, available ? null : $"{SandboxExec} is missing",
            ["seatbelt profile (deny default)", "rlimits soft=hard via sh ulimit (cpu, nofile, nproc, fsize, core=0)"],
            null, null, "sh+sandbox-exec", SandboxExec, Partial: true);
    }

    public SandboxBackendStatus Status { get; }

    public string? RefusalFor(SandboxRequest request) => Status.Available ? null : Status.UnavailableReason;

    public SandboxRequest SelfTestRequest(string canaryPath) => new()
    {
        Executable = "/bin/cat",
        Arguments = [canaryPath],
        ReadOnlyRoots = SeatbeltProfile.SystemRoots.Where(Path.Exists).ToList(),
        Caller = "sandbox:self-test",
    };

    public async Task<BackendRun> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        var scratch = _scratch.Create("run", null);
        try
        {
            var rw = request.ReadWriteRoots.Append(scratch).Select(Canonical).ToList();
            var profile = SeatbeltProfile.Generate(request.ReadOnlyRoots.Select(Canonical), rw, request.Network);
            var profilePath = Path.Combine(scratch, ".carapace.sb");
            await File.WriteAllTextAsync(profilePath, profile, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(profilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = request.WorkingDirectory ?? scratch };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(SeatbeltProfile.LimitsScript(request.Limits));
            psi.ArgumentList.Add(profilePath);
            psi.ArgumentList.Add(request.Executable);
            foreach (var a in request.Arguments)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment.Clear();
            foreach (var (k, v) in EnvironmentPolicy.Build(request, scratch, _platform.GetEnvironmentVariable))
            {
                psi.Environment[k] = v;
            }

            static void Kill(Process p)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already exited.
                }
            }

            var driven = await ProcessDriver.RunAsync(psi, ReadOnlyMemory<byte>.Empty, request, null, Kill, Kill, _live, cancellationToken);
            if (driven.ExitCode == 125 && !driven.TimedOut)
            {
                throw new SandboxUnavailableException("sandbox-exec or the rlimit prologue failed: " + System.Text.Encoding.UTF8.GetString(driven.Stderr.Bytes.Span).Trim());
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

    // Seatbelt matches resolved paths (/tmp is /private/tmp).
    private static string Canonical(string path)
    {
        try
        {
            var target = new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            return target?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    public ValueTask DisposeAsync()
    {
        _live.KillAll();
        return ValueTask.CompletedTask;
    }
}
