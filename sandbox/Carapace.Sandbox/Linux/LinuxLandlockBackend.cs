using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Exec.Protocol;
using Carapace.Sandbox.Policy;
using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.Linux;

/// <summary>
/// Linux: the carapace-sandbox-exec launcher applies Landlock (every fs right of the running ABI, TCP
/// rules, scopes), seccomp, rlimits, capability drop and the per-run uid, then execs the target.
/// </summary>
internal sealed class LinuxLandlockBackend : ISandboxBackend
{
    /// <summary>Character devices every run may read and write (Landlock needs TRUNCATE for O_TRUNC on /dev/null).</summary>
    public static IReadOnlyList<string> DeviceFiles { get; } = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"];

    private readonly SandboxOptions _options;
    private readonly SandboxPlatform _platform;
    private readonly ScratchDirectories _scratch;
    private readonly LiveProcessRegistry _live = new();
    private readonly RunUidPool? _uids;
    private readonly LauncherInfo? _launcher;
    private readonly BatchedUidSweeper? _sweeper;

    public LinuxLandlockBackend(SandboxOptions options, SandboxPlatform platform, ScratchDirectories scratch)
    {
        _options = options;
        _platform = platform;
        _scratch = scratch;
        var landlock = platform.ProbeLandlock();
        _launcher = LauncherLocator.Locate(options.LauncherPath, out var launcherProblem);
        var isRoot = OperatingSystem.IsLinux() && LinuxNative.GetEuid() == 0;
        if (isRoot && options.SwitchUserWhenRoot)
        {
            _uids = new RunUidPool(options.RunUidBase, options.RunUidCount, platform.RunUidDirectory);
            _sweeper = new BatchedUidSweeper(ProcessSweeper.SweepUntilGone, _uids.Return);
        }

        var decision = LandlockAbi.Decide(landlock.Abi);
        string? reason = null;
        if (landlock.Unavailable is not null || decision.Refusal is not null)
        {
            reason = "Landlock is unavailable: " + (landlock.Unavailable ?? decision.Refusal);
        }
        else if (decision.EffectiveAbi < LandlockAbi.MinAbiForNetwork)
        {
            reason = $"Landlock ABI {landlock.Abi} cannot restrict the network (needs ABI {LandlockAbi.MinAbiForNetwork}, Linux 6.7+); every profile restricts it";
        }
        else if (launcherProblem is not null)
        {
            reason = launcherProblem;
        }

        Status = new SandboxBackendStatus(
            "linux-landlock",
            reason is null,
            reason,
            Restrictions(decision, landlock.Errata, isRoot, _uids is not null),
            landlock.Abi,
            landlock.Errata,
            _launcher?.Kind,
            _launcher?.Path,
            Partial: false)
        {
            LandlockKnownAbi = LandlockAbi.KnownAbi,
            LandlockEffectiveAbi = decision.EffectiveAbi,
        };
    }

    public SandboxBackendStatus Status { get; }

    private static List<string> Restrictions(LandlockAbiDecision decision, int errata, bool isRoot, bool perRunUid)
    {
        var abi = decision.EffectiveAbi;
        var list = new List<string>();
        if (abi >= 1)
        {
            list.Add($"landlock-fs (handled mask 0x{LandlockAbi.FsMask(abi):x}: read/write/exec/make/remove"
                + (abi >= 2 ? "/refer" : "") + (abi >= 3 ? "/truncate" : "") + (abi >= 5 ? "/ioctl-dev" : "") + (abi >= 9 ? "/resolve-unix" : "") + ")");
            if (decision.KernelIsNewer)
            {
                list.Add($"landlock-abi: the kernel's ABI {decision.KernelAbi} is newer than the launcher knows ({LandlockAbi.KnownAbi}); "
                    + $"every right of ABI {LandlockAbi.KnownAbi} is handled, rights added later are not");
            }

            if (LandlockErrata.Describe(decision.KernelAbi, errata) is { } notes)
            {
                list.Add(notes);
            }
        }

        if (abi >= 4)
        {
            list.Add("landlock-net (TCP bind denied, TCP connect to granted ports only)");
        }

        if (abi >= 6)
        {
            list.Add("landlock-scope (signals and abstract unix sockets outside the sandbox denied)");
        }

        list.Add("seccomp (socket families other than AF_UNIX, UDP/raw in port mode, io_uring, foreign syscall ABIs)");
        list.Add("rlimits soft=hard (cpu, nofile, nproc, fsize, core=0; address space when set)");
        list.Add("no_new_privs, setsid, signal reset, fds>2 closed on exec, empty environment base");
        if (isRoot)
        {
            list.Add("capabilities dropped (bounding, ambient, effective, permitted, inheritable)");
        }

        if (perRunUid)
        {
            list.Add("per-run unprivileged uid (process limit per run, whole-run kill by uid)");
        }

        return list;
    }

    public string? RefusalFor(SandboxRequest request)
    {
        if (!Status.Available)
        {
            return Status.UnavailableReason;
        }

        // Every request restricts the network; keep the check per request so a future 'unrestricted' mode
        // cannot silently run on an old kernel.
        if (Status.LandlockEffectiveAbi < LandlockAbi.MinAbiForNetwork)
        {
            return $"network restriction needs Landlock ABI {LandlockAbi.MinAbiForNetwork}, this kernel has {Status.LandlockAbi}";
        }

        return null;
    }

    public SandboxRequest SelfTestRequest(string canaryPath) => new()
    {
        Executable = File.Exists("/bin/cat") ? "/bin/cat" : "/usr/bin/cat",
        Arguments = [canaryPath],
        ReadOnlyRoots = SandboxProfiles.SystemRoots.Where(Path.Exists).ToList(),
        Timeout = TimeSpan.FromSeconds(10),
        Caller = "sandbox:self-test",
    };

    /// <summary>cat's message for EACCES (the child runs with LANG=C.UTF-8): what Landlock answers for a path outside the roots.</summary>
    public bool SelfTestDenied(SandboxResult probe) =>
        probe.ExitCode == 1 && probe.StderrText.Contains(": Permission denied", StringComparison.Ordinal);

    public async Task<BackendRun> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        var launcher = _launcher ?? throw new SandboxUnavailableException(Status.UnavailableReason ?? "sandbox launcher missing");
        var uid = _uids?.Rent();
        string? scratch = null;
        var uidHandedToSweep = false;
        try
        {
            scratch = _scratch.Create("run", uid);
            var spec = BuildSpec(request, scratch, uid);
            var frame = Frame(spec);
            var psi = new ProcessStartInfo(launcher.FileName) { WorkingDirectory = scratch };
            foreach (var a in launcher.PrefixArguments)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment.Clear(); // pitfall P4: nothing of the host's environment reaches the launcher

            var driven = await ProcessDriver.RunAsync(() => DotNetChildProcess.Start(psi), frame, request, LauncherWire.ConfinedMarker,
                KillGroup, p => KillEverything(p, uid), _live, cancellationToken);

            if (uid is { } u)
            {
                uidHandedToSweep = true;
                SweepInBackground(u);
            }

            if (!driven.Stdout.MarkerSeen)
            {
                throw new SandboxUnavailableException(LaunchFailureReason(driven));
            }

            var result = new SandboxResult(driven.ExitCode, driven.Stdout.Bytes, driven.Stderr.Bytes,
                driven.Stdout.Truncated, driven.Stderr.Truncated, driven.TimedOut, driven.Duration);
            return new BackendRun(result, driven.ProcessId, uid);
        }
        finally
        {
            if (uid is { } u && !uidHandedToSweep)
            {
                SweepInBackground(u);
            }

            if (scratch is not null)
            {
                ScratchDirectories.Delete(scratch);
            }
        }
    }

    internal LaunchSpec BuildSpec(SandboxRequest request, string scratch, uint? uid)
    {
        var env = EnvironmentPolicy.Build(request, scratch, _platform.GetEnvironmentVariable);
        var rw = request.ReadWriteRoots.Append(scratch).ToList();
        RequestValidator.RequireExecutableInsideRoots(request.Executable, request.ReadOnlyRoots.Concat(rw), LinuxNative.RealPath, StringComparison.Ordinal);
        RequestValidator.RequireWorkingDirectoryInsideRoots(request.WorkingDirectory, request.ReadOnlyRoots.Concat(rw), LinuxNative.RealPath, StringComparison.Ordinal);
        return new LaunchSpec
        {
            Executable = request.Executable,
            Argv = [request.Executable, .. request.Arguments],
            Env = env.Select(kv => kv.Key + "=" + kv.Value).ToList(),
            WorkingDirectory = request.WorkingDirectory ?? scratch,
            ReadOnlyRoots = [.. request.ReadOnlyRoots],
            ReadWriteRoots = rw,
            DeviceFiles = [.. DeviceFiles],
            Network = request.Network.Mode == SandboxNetworkMode.None ? NetworkModes.None : NetworkModes.Ports,
            ConnectPorts = [.. request.Network.ConnectPorts],
            Limits = new LaunchLimits
            {
                CpuSeconds = request.Limits.CpuSeconds,
                AddressSpaceBytes = request.Limits.AddressSpaceBytes,
                OpenFiles = request.Limits.OpenFiles,
                Processes = request.Limits.Processes,
                FileSizeBytes = request.Limits.FileSizeBytes,
            },
            RunAsUid = uid,
            RunAsGid = uid,
        };
    }

    /// <summary>The binary spec frame (<see cref="LaunchSpecCodec"/>) the launcher reads from stdin.</summary>
    /// A request too large for the frame (or otherwise unencodable) is the caller's error: nothing runs.
    internal static byte[] Frame(LaunchSpec spec)
    {
        try
        {
            return LaunchSpecCodec.Encode(spec);
        }
        catch (SpecFormatException e)
        {
            throw new InvalidSandboxRequestException(e.Message, e);
        }
    }

    private static string LaunchFailureReason(DrivenProcess driven)
    {
        var stderr = Encoding.UTF8.GetString(driven.Stderr.Bytes.Span);
        foreach (var line in stderr.Split('\n'))
        {
            var at = line.IndexOf(LauncherWire.FailurePrefix, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            try
            {
                var failure = JsonSerializer.Deserialize(line[(at + LauncherWire.FailurePrefix.Length)..], LaunchFailureJson.Default.LaunchFailure);
                if (failure is not null)
                {
                    return $"sandbox launcher failed at '{failure.Step}': {failure.Message}";
                }
            }
            catch (JsonException)
            {
                break;
            }
        }

        if (driven.TimedOut)
        {
            return "sandbox launcher did not confine the process before the timeout";
        }

        var tail = stderr.Length > 400 ? stderr[^400..] : stderr;
        return $"sandbox launcher exited {driven.ExitCode} before confining the process: {tail.Trim()}";
    }

    private static void KillGroup(DotNetChildProcess process)
    {
        var pid = process.Id;
        LinuxNative.Kill(-pid, LinuxNative.SigKill); // the group: the launcher called setsid, so pgid = pid
        LinuxNative.Kill(pid, LinuxNative.SigKill);  // before setsid the group does not exist yet
    }

    private static void KillEverything(DotNetChildProcess process, uint? uid)
    {
        // The tree first, while the main process lives: .NET walks descendants only of a live process, and
        // once it is dead a child that left the group (setsid) is reparented and no longer found.
        process.KillTree();
        KillGroup(process);

        if (uid is { } u)
        {
            ProcessSweeper.KillAllWithUid(u, TimeSpan.FromSeconds(2));
        }
    }

    // Not clean (or the sweep failed): the lock file stays busy and the next renter sweeps again.
    private void SweepInBackground(uint uid) => _sweeper!.Enqueue(uid);

    public async ValueTask DisposeAsync()
    {
        _live.KillAll();
        if (_sweeper is not null)
        {
            await _sweeper.FlushAsync();
        }
    }
}
