using System.Runtime.InteropServices;
using System.Text;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec;

/// <summary>
/// The launcher's whole job, in order (see docs/sandbox.md): read the spec, build the Landlock ruleset,
/// chdir, setsid, CLOEXEC every fd above 2, drop capabilities (and switch to the per-run uid when root),
/// rlimits with soft = hard, reset signals, no_new_privs, seccomp, landlock_restrict_self, execve.
/// Any failure before execve is reported as one structured stderr line and exit 125.
/// </summary>
internal static unsafe class Launcher
{
    public static int Run()
    {
        try
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new LaunchFailedException("platform", 0, "carapace-sandbox-exec confines processes on Linux only");
            }

            try
            {
                Libc.Load();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                throw new LaunchFailedException("load_libc", 0, e.Message);
            }

            var spec = ReadSpec();
            SpecValidator.Validate(spec);
            return Confine(spec);
        }
        catch (LaunchFailedException e)
        {
            return Fail(e.Step, e.Errno, e.Message);
        }
        catch (Exception e)
        {
            return Fail("internal", 0, e.GetType().Name + ": " + e.Message);
        }
    }

    private static LaunchSpec ReadSpec()
    {
        Span<byte> header = stackalloc byte[4];
        ReadExactly(header);
        var length = BitConverter.ToUInt32(header);
        if (length == 0 || length > LauncherWire.MaxFrameBytes)
        {
            throw new LaunchFailedException("read_spec", 0, $"spec frame length {length} is out of range");
        }

        var frame = new byte[length];
        ReadExactly(frame);
        try
        {
            return LaunchSpecCodec.Decode(frame);
        }
        catch (SpecFormatException e)
        {
            throw new LaunchFailedException("read_spec", 0, e.Message);
        }
    }

    // Raw read(2) so nothing past the frame is consumed: the rest of stdin belongs to the target.
    private static void ReadExactly(Span<byte> buffer)
    {
        var done = 0;
        fixed (byte* p = buffer)
        {
            while (done < buffer.Length)
            {
                var n = Libc.Read(0, p + done, buffer.Length - done);
                if (n < 0 && Libc.Errno == 4)
                {
                    continue;
                }

                if (n <= 0)
                {
                    throw new LaunchFailedException("read_spec", n < 0 ? Libc.Errno : 0, "stdin closed before the spec frame was complete");
                }

                done += (int)n;
            }
        }
    }

    private static int Confine(LaunchSpec spec)
    {
        // Everything that allocates happens first; the tail runs in a no-GC region (pitfall P3).
        var decision = LandlockAbi.Decide(LandlockProbe());
        if (decision.Refusal is { } refusal)
        {
            throw new LaunchFailedException("landlock_abi", 0, refusal);
        }

        var abi = decision.EffectiveAbi;
        if (abi < LandlockAbi.MinAbiForNetwork)
        {
            throw new LaunchFailedException("landlock_abi", 0,
                $"network restriction '{spec.Network}' needs Landlock ABI {LandlockAbi.MinAbiForNetwork}, kernel has {abi}");
        }

        var arch = SeccompProgram.ForArchitecture(RuntimeInformation.ProcessArchitecture)
            ?? throw new LaunchFailedException("seccomp", 0, $"no seccomp filter for architecture {RuntimeInformation.ProcessArchitecture}");
        var filter = SeccompProgram.Build(arch, allowTcp: spec.Network == NetworkModes.Ports);
        var capLastCap = ReadCapLastCap();

        var exe = NativeString(spec.Executable);
        var argv = NativeStringArray(spec.Argv);
        var envp = NativeStringArray(spec.Env);
        var cwd = NativeString(spec.WorkingDirectory);
        var bpf = (BpfInstruction*)NativeMemory.Alloc((nuint)filter.Length, (nuint)sizeof(BpfInstruction));
        filter.CopyTo(new Span<BpfInstruction>(bpf, filter.Length));
        var prog = new Libc.SockFprog { Length = (ushort)filter.Length, Filter = bpf };

        var rulesetFd = BuildRuleset(spec, abi);

        if (Libc.Chdir(cwd) != 0)
        {
            throw Errno("chdir", $"chdir to '{spec.WorkingDirectory}'");
        }

        if (Libc.Setsid() < 0)
        {
            throw Errno("setsid", "setsid");
        }

        if (Libc.Syscall(Libc.SysCloseRange, 3, unchecked((nint)uint.MaxValue), (nint)Libc.CloseRangeCloexec, 0, 0, 0) != 0)
        {
            throw Errno("close_range", "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");
        }

        DropPrivileges(spec, capLastCap);
        SetLimits(spec.Limits);

        // no_new_privs, seccomp, restrict_self, RLIMIT_AS, then the confined marker: see ConfinementTail.
        var sys = default(LibcTailSyscalls);
        ConfinementTail.Apply(ref sys, &prog, rulesetFd, spec.Limits.AddressSpaceBytes);

        Libc.Execve(exe, argv, envp);
        var errno = Libc.Errno;
        WriteStderr($"carapace-sandbox-exec: execve '{spec.Executable}': {Marshal.GetPInvokeErrorMessage(errno)}\n");
        return errno == 2 ? 127 : 126;
    }

    private static long LandlockProbe()
    {
        var abi = Libc.Syscall(Libc.SysLandlockCreateRuleset, 0, 0, (nint)LandlockAbi.CreateRulesetVersion, 0, 0, 0);
        if (abi < 0)
        {
            var errno = Libc.Errno;
            var why = errno switch
            {
                38 => "Landlock is not built into this kernel (ENOSYS)",
                95 => "Landlock is disabled at boot (EOPNOTSUPP); add 'landlock' to the lsm= kernel parameter",
                _ => "landlock_create_ruleset(VERSION) failed: " + Marshal.GetPInvokeErrorMessage(errno),
            };
            throw new LaunchFailedException("landlock_abi", errno, why);
        }

        return abi;
    }

    private static int BuildRuleset(LaunchSpec spec, int abi)
    {
        var fsMask = LandlockAbi.FsMask(abi);
        var attr = new Libc.LandlockRulesetAttr
        {
            HandledAccessFs = fsMask,
            HandledAccessNet = LandlockAbi.NetMask(abi),
            Scoped = LandlockAbi.ScopeMask(abi),
        };

        // Always the full struct: the kernel accepts a longer one when the fields it does not know are zero.
        var fd = (int)Libc.Syscall(Libc.SysLandlockCreateRuleset, (nint)(&attr), sizeof(Libc.LandlockRulesetAttr), 0, 0, 0, 0);
        if (fd < 0)
        {
            throw Errno("landlock_create_ruleset", "landlock_create_ruleset");
        }

        const ulong readOnly = LandlockAbi.ReadFile | LandlockAbi.ReadDir | LandlockAbi.Execute;
        foreach (var root in spec.ReadOnlyRoots)
        {
            AddPathRule(fd, root, readOnly & fsMask, required: true);
        }

        foreach (var root in spec.ReadWriteRoots)
        {
            AddPathRule(fd, root, fsMask, required: true);
        }

        const ulong device = LandlockAbi.ReadFile | LandlockAbi.WriteFile | LandlockAbi.Truncate;
        foreach (var dev in spec.DeviceFiles)
        {
            AddPathRule(fd, dev, device & fsMask, required: false);
        }

        foreach (var port in spec.ConnectPorts)
        {
            var rule = new Libc.LandlockNetPortAttr { AllowedAccess = LandlockAbi.NetConnectTcp, Port = (ulong)port };
            if (Libc.Syscall(Libc.SysLandlockAddRule, fd, LandlockAbi.RuleTypeNetPort, (nint)(&rule), 0, 0, 0) != 0)
            {
                throw Errno("landlock_add_rule", $"TCP connect rule for port {port}");
            }
        }

        return fd;
    }

    private static void AddPathRule(int rulesetFd, string path, ulong access, bool required)
    {
        // One O_PATH open answers "exists?" and "directory?" and yields the rule's fd (no stat, no second
        // lookup of the path): O_DIRECTORY first, ENOTDIR means a non-directory, reopened without it.
        var native = NativeString(path);
        var pathFd = Libc.Open(native, Libc.OPath | Libc.OCloexec | Libc.ODirectory, 0);
        var errno = pathFd < 0 ? Libc.Errno : 0;
        if (pathFd < 0 && errno == Libc.ENotDir)
        {
            access &= LandlockAbi.FileOnlyRights;
            pathFd = Libc.Open(native, Libc.OPath | Libc.OCloexec, 0);
            errno = pathFd < 0 ? Libc.Errno : 0;
        }

        NativeMemory.Free(native);
        if (pathFd < 0)
        {
            if (errno == Libc.ENoEnt)
            {
                if (!required)
                {
                    return;
                }

                throw new LaunchFailedException("landlock_add_rule", errno, $"sandbox root '{path}' does not exist");
            }

            throw new LaunchFailedException("landlock_add_rule", errno, $"open '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        var rule = new Libc.LandlockPathBeneathAttr { AllowedAccess = access, ParentFd = pathFd };
        var rc = Libc.Syscall(Libc.SysLandlockAddRule, rulesetFd, LandlockAbi.RuleTypePathBeneath, (nint)(&rule), 0, 0, 0);
        errno = Libc.Errno;
        Libc.Close(pathFd);
        if (rc != 0)
        {
            throw new LaunchFailedException("landlock_add_rule", errno, $"rule for '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    // Raw open/read instead of File.ReadAllText: the managed file stack's start-up is not free.
    private static int ReadCapLastCap()
    {
        int fd;
        fixed (byte* path = "/proc/sys/kernel/cap_last_cap\0"u8)
        {
            fd = Libc.Open(path, Libc.ORdOnly | Libc.OCloexec, 0);
        }

        if (fd < 0)
        {
            return 63; // drop until the kernel says EINVAL
        }

        var buffer = stackalloc byte[16];
        var n = Libc.Read(fd, buffer, 16);
        Libc.Close(fd);
        var value = 0;
        var digits = 0;
        for (var i = 0; i < n && buffer[i] is >= (byte)'0' and <= (byte)'9' && digits < 3; i++, digits++)
        {
            value = (value * 10) + (buffer[i] - '0');
        }

        return digits == 0 ? 63 : value;
    }

    private static void DropPrivileges(LaunchSpec spec, int capLastCap)
    {
        var isRoot = Libc.Geteuid() == 0;
        if (spec.RunAsUid is not null && !isRoot)
        {
            throw new LaunchFailedException("setuid", 1, "a run-as uid was requested but the launcher is not root");
        }

        if (isRoot)
        {
            // Bounding set first: dropping it needs CAP_SETPCAP, which goes away below.
            for (var cap = 0; cap <= capLastCap; cap++)
            {
                if (Libc.Prctl(Libc.PrCapbsetDrop, cap, 0, 0, 0) != 0)
                {
                    if (Libc.Errno == 22 && cap > 40)
                    {
                        break;
                    }

                    throw Errno("capabilities", $"prctl(PR_CAPBSET_DROP, {cap})");
                }
            }
        }

        if (Libc.Prctl(Libc.PrCapAmbient, Libc.PrCapAmbientClearAll, 0, 0, 0) != 0 && Libc.Errno != 22)
        {
            throw Errno("capabilities", "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        }

        if (spec.RunAsUid is { } uid)
        {
            var gid = spec.RunAsGid ?? uid;
            if (Libc.Syscall(Libc.SysSetgroups, 0, 0, 0, 0, 0, 0) != 0)
            {
                throw Errno("setuid", "setgroups(0)");
            }

            if (Libc.Syscall(Libc.SysSetresgid, (nint)gid, (nint)gid, (nint)gid, 0, 0, 0) != 0)
            {
                throw Errno("setuid", $"setresgid({gid})");
            }

            if (Libc.Syscall(Libc.SysSetresuid, (nint)uid, (nint)uid, (nint)uid, 0, 0, 0) != 0)
            {
                throw Errno("setuid", $"setresuid({uid})");
            }
        }

        var header = new Libc.CapHeader { Version = Libc.LinuxCapabilityVersion3, Pid = 0 };
        var data = stackalloc Libc.CapData[2];
        data[0] = default;
        data[1] = default;
        if (Libc.Capset(&header, data) != 0)
        {
            throw Errno("capabilities", "capset(0)");
        }

        header = new Libc.CapHeader { Version = Libc.LinuxCapabilityVersion3, Pid = 0 };
        if (Libc.Capget(&header, data) != 0)
        {
            throw Errno("capabilities", "capget");
        }

        if ((data[0].Effective | data[0].Permitted | data[0].Inheritable | data[1].Effective | data[1].Permitted | data[1].Inheritable) != 0)
        {
            throw new LaunchFailedException("capabilities", 0, "capabilities are still present after dropping them");
        }
    }

    private static void SetLimits(LaunchLimits limits)
    {
        SetLimit(Libc.RlimitCore, 0);
        if (limits.CpuSeconds is { } cpu)
        {
            SetLimit(Libc.RlimitCpu, cpu);
        }

        if (limits.OpenFiles is { } files)
        {
            SetLimit(Libc.RlimitNofile, files);
        }

        if (limits.Processes is { } procs)
        {
            SetLimit(Libc.RlimitNproc, procs);
        }

        if (limits.FileSizeBytes is { } fsize)
        {
            SetLimit(Libc.RlimitFsize, fsize);
        }
    }

    private static void SetLimit(int resource, long value)
    {
        if (TrySetLimit(resource, value) != 0)
        {
            throw Errno("rlimit", $"setrlimit({resource}, {value})");
        }
    }

    // soft = hard, never above the inherited hard limit (a lower limit is stricter, never weaker).
    // No allocation: it also runs in the confinement tail.
    internal static int TrySetLimit(int resource, long value)
    {
        Libc.RLimit current;
        if (Libc.Getrlimit(resource, &current) != 0)
        {
            return -1;
        }

        var v = Math.Min((ulong)value, current.Max);
        var limit = new Libc.RLimit { Current = v, Max = v };
        return Libc.Setrlimit(resource, &limit);
    }

    internal static int ResetSignals()
    {
        // Ignored dispositions survive execve; .NET ignores SIGPIPE (pitfall P1). 32/33 belong to glibc.
        for (var sig = 1; sig <= 64; sig++)
        {
            if (sig is 9 or 19 or 32 or 33)
            {
                continue;
            }

            Libc.Signal(sig, 0);
        }

        var empty = stackalloc byte[128];
        new Span<byte>(empty, 128).Clear();
        return Libc.Sigprocmask(Libc.SigSetMask, empty, null);
    }

    /// <summary>The real tail syscalls (direct libc calls through the pre-resolved pointers).</summary>
    private struct LibcTailSyscalls : ITailSyscalls
    {
        public readonly bool StartNoGcRegion() => GC.TryStartNoGCRegion(16 * 1024 * 1024);

        public readonly int ResetSignals() => Launcher.ResetSignals();

        public readonly int NoNewPrivs() => Libc.Prctl(Libc.PrSetNoNewPrivs, 1, 0, 0, 0);

        public readonly int InstallSeccomp(Libc.SockFprog* program) => Libc.Prctl(Libc.PrSetSeccomp, Libc.SeccompModeFilter, (nint)program, 0, 0);

        public readonly int LandlockRestrictSelf(int rulesetFd) => (int)Libc.Syscall(Libc.SysLandlockRestrictSelf, rulesetFd, 0, 0, 0, 0, 0);

        public readonly void Close(int fd) => Libc.Close(fd);

        public readonly int SetLimit(int resource, long value) => TrySetLimit(resource, value);

        public readonly nint WriteMarker()
        {
            var marker = LauncherWire.ConfinedMarker;
            return Libc.Write(1, &marker, 1);
        }

        public readonly int Errno => Libc.Errno;
    }

    private static LaunchFailedException Errno(string step, string what)
    {
        var errno = Libc.Errno;
        return new LaunchFailedException(step, errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private static byte* NativeString(string s)
    {
        var bytes = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)bytes + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, bytes));
        p[bytes] = 0;
        return p;
    }

    private static byte** NativeStringArray(List<string> items)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)items.Count + 1, (nuint)sizeof(byte*));
        for (var i = 0; i < items.Count; i++)
        {
            array[i] = NativeString(items[i]);
        }

        array[items.Count] = null;
        return array;
    }

    private static int Fail(string step, int errno, string message)
    {
        WriteStderr(FailureLine.Format(step, errno, message));
        return LauncherWire.SandboxFailureExitCode;
    }

    private static void WriteStderr(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (Libc.Write is null)
        {
            using var stderr = Console.OpenStandardError();
            stderr.Write(bytes);
            return;
        }

        fixed (byte* p = bytes)
        {
            nint done = 0;
            while (done < bytes.Length)
            {
                var n = Libc.Write(2, p + done, bytes.Length - done);
                if (n <= 0)
                {
                    return;
                }

                done += n;
            }
        }
    }
}
