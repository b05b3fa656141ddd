using System.Security.Cryptography;
using System.Text;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Policy;
using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.Windows;

/// <summary>
/// Windows (PARTIAL: compiled and unit-tested on Linux, never run on Windows): each run is created by
/// CreateProcessW inside its own Job Object (attached at creation) and an AppContainer with zero
/// capabilities, so it has no network; file access is what the AppContainer's SID is granted by ACL
/// (read+execute on read-only roots, modify on read-write roots and the scratch dir) plus what every
/// AppContainer may read. A TCP port allowlist cannot be enforced without WFP filters, so <c>ports</c>
/// requests are refused, as is every run when the AppContainer cannot be created.
/// </summary>
internal sealed class WindowsJobBackend : ISandboxBackend
{
    public const string PortsRefusal =
        "network 'ports' (TCP connect to granted ports) cannot be enforced by an AppContainer without Windows Filtering Platform filters; only network 'none' runs on Windows";

    /// <summary>
    /// Limits a Job Object has no equivalent for. A request that sets one is refused rather than run with the
    /// limit silently dropped; a Windows profile leaves them unset (<c>openFiles: null</c>, <c>fileSizeMb: null</c>).
    /// </summary>
    public static string? UnenforceableLimits(SandboxLimits limits)
    {
        var names = new List<string>(2);
        if (limits.OpenFiles is not null)
        {
            names.Add($"open files ({limits.OpenFiles})");
        }

        if (limits.FileSizeBytes is not null)
        {
            names.Add($"file size ({limits.FileSizeBytes} bytes)");
        }

        return names.Count == 0 ? null
            : $"the Windows Job Object backend cannot enforce the requested limit(s) {string.Join(", ", names)}; "
              + "leave them unset in the profile (openFiles: null, fileSizeMb: null) to run on Windows";
    }

    private readonly SandboxPlatform _platform;
    private readonly ScratchDirectories _scratch;
    private readonly IWindowsSandboxHost? _host;
    private readonly LiveProcessRegistry _live = new();

    public WindowsJobBackend(SandboxOptions options, SandboxPlatform platform, ScratchDirectories scratch)
    {
        _ = options;
        _platform = platform;
        _scratch = scratch;
        _host = platform.WindowsHost ?? (OperatingSystem.IsWindows() ? new Win32SandboxHost() : null);
        var reason = _host is null
            ? $"the Windows backend runs on Windows only (this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription})"
            : _host.UnavailableReason;
        Status = new SandboxBackendStatus("windows-job-appcontainer", reason is null, reason,
            [
                "job object attached at creation (kill on close, terminated on timeout; active processes, per-process CPU time, process and job memory when set)",
                "appcontainer with zero capabilities (no network; files only where its SID, or every AppContainer, is granted)",
                "inherited handles limited to the stdio pipes",
                "refused on Windows: requests that set open files or file size (no Job Object equivalent)",
            ],
            null, null, "createprocess+job+appcontainer", null, Partial: true);
    }

    public SandboxBackendStatus Status { get; }

    public string? RefusalFor(SandboxRequest request) =>
        !Status.Available ? Status.UnavailableReason
        : request.Network.Mode != SandboxNetworkMode.None ? PortsRefusal
        : UnenforceableLimits(request.Limits);

    public SandboxRequest SelfTestRequest(string canaryPath)
    {
        var system = _host?.SystemDirectory ?? Environment.SystemDirectory;
        return new SandboxRequest
        {
            Executable = Path.Combine(system, "cmd.exe"),
            Arguments = ["/d", "/c", "type", canaryPath],
            ReadOnlyRoots = [system],
            // Only limits a Job Object enforces, or the probe itself would be refused.
            Limits = new SandboxLimits { OpenFiles = null, FileSizeBytes = null },
            Caller = "sandbox:self-test",
        };
    }

    /// <summary>cmd's message for ERROR_ACCESS_DENIED.</summary>
    public bool SelfTestDenied(SandboxResult probe) =>
        probe.ExitCode == 1 && probe.StderrText.Contains("Access is denied", StringComparison.Ordinal);

    public async Task<BackendRun> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        var host = _host ?? throw new SandboxUnavailableException(Status.UnavailableReason!);
        if (RefusalFor(request) is { } refusal)
        {
            throw new SandboxUnavailableException(refusal);
        }

        var scratch = _scratch.Create("run", null);
        try
        {
            var plan = Plan(request, scratch, _platform.GetEnvironmentVariable);
            var appContainer = host.EnsureAppContainer(plan.ProfileName, "Carapace sandbox", $"Carapace sandbox profile {request.Profile ?? "(host)"}");
            foreach (var root in request.ReadOnlyRoots)
            {
                host.GrantAccess(root, appContainer, write: false);
            }

            foreach (var root in request.ReadWriteRoots.Append(scratch))
            {
                host.GrantAccess(root, appContainer, write: true);
            }

            var launch = plan.Launch with { AppContainer = appContainer };
            var driven = await ProcessDriver.RunAsync(() => host.Start(launch), ReadOnlyMemory<byte>.Empty, request, null,
                static c => c.TerminateJob(), static c => c.TerminateJob(), _live, cancellationToken);
            var result = new SandboxResult(driven.ExitCode, driven.Stdout.Bytes, driven.Stderr.Bytes,
                driven.Stdout.Truncated, driven.Stderr.Truncated, driven.TimedOut, driven.Duration);
            return new BackendRun(result, driven.ProcessId, null);
        }
        finally
        {
            ScratchDirectories.Delete(scratch);
        }
    }

    /// <summary>What one run will be: the AppContainer profile name, and the launch without its SID yet.</summary>
    internal sealed record RunPlan(string ProfileName, WindowsLaunch Launch);

    internal static RunPlan Plan(SandboxRequest request, string scratch, Func<string, string?> hostEnvironment)
    {
        var rw = request.ReadWriteRoots.Append(scratch).ToList();
        RequestValidator.RequireExecutableInsideRoots(request.Executable, request.ReadOnlyRoots.Concat(rw), PathResolver.RealPath, StringComparison.OrdinalIgnoreCase);
        RequestValidator.RequireWorkingDirectoryInsideRoots(request.WorkingDirectory, request.ReadOnlyRoots.Concat(rw), PathResolver.RealPath, StringComparison.OrdinalIgnoreCase);
        var env = EnvironmentPolicy.BuildWindows(request, scratch, hostEnvironment);
        var launch = new WindowsLaunch(
            request.Executable,
            WindowsCommandLine.Build(request.Executable, request.Arguments),
            WindowsEnvironmentBlock.Build(env),
            request.WorkingDirectory ?? scratch,
            JobLimits.From(request.Limits),
            new AppContainerIdentity(string.Empty, string.Empty));
        return new RunPlan(ProfileName(request), launch);
    }

    /// <summary>
    /// One AppContainer per filesystem policy (the roots decide its ACL grants), so runs of different
    /// profiles never share an identity. At most 64 characters, as Windows requires.
    /// </summary>
    internal static string ProfileName(SandboxRequest request)
    {
        var policy = new StringBuilder();
        foreach (var root in request.ReadOnlyRoots.Order(StringComparer.OrdinalIgnoreCase))
        {
            policy.Append("ro:").Append(root.ToUpperInvariant()).Append('\n');
        }

        foreach (var root in request.ReadWriteRoots.Order(StringComparer.OrdinalIgnoreCase))
        {
            policy.Append("rw:").Append(root.ToUpperInvariant()).Append('\n');
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(policy.ToString()));
        return "carapace.sbx." + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    public ValueTask DisposeAsync()
    {
        _live.KillAll();
        return ValueTask.CompletedTask;
    }
}
