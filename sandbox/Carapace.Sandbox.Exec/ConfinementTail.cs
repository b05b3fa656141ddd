using System.Runtime.InteropServices;

namespace Carapace.Sandbox.Exec;

/// <summary>The syscalls of the confinement tail, behind a seam so the order and the failure paths are unit-tested.</summary>
internal unsafe interface ITailSyscalls
{
    /// <summary>Enters the no-GC region (nothing below may allocate once RLIMIT_AS is set).</summary>
    bool StartNoGcRegion();

    /// <summary>Every catchable signal to SIG_DFL, empty mask; 0 or -1 with errno.</summary>
    int ResetSignals();

    int NoNewPrivs();

    int InstallSeccomp(Libc.SockFprog* program);

    int LandlockRestrictSelf(int rulesetFd);

    void Close(int fd);

    /// <summary>getrlimit + setrlimit with soft = hard = min(value, inherited hard); 0 or -1 with errno.</summary>
    int SetLimit(int resource, long value);

    /// <summary>Writes the one-byte confined marker to stdout; returns the bytes written.</summary>
    nint WriteMarker();

    int Errno { get; }
}

/// <summary>
/// The last steps before execve, in the only order that is correct: no_new_privs, seccomp,
/// landlock_restrict_self, RLIMIT_AS, and only then the "confined" marker. The marker is the broker's
/// proof that every restriction is in place, so nothing that can fail may come after it; execve follows
/// it immediately (an execve failure is then an ordinary 126/127 result of a confined run).
/// Generic over a struct so the production path is direct calls with no allocation or virtual dispatch.
/// </summary>
internal static unsafe class ConfinementTail
{
    /// <summary>Applies the tail; throws <see cref="LaunchFailedException"/> (marker not written) on any failure.</summary>
    public static void Apply<TSys>(ref TSys sys, Libc.SockFprog* seccomp, int rulesetFd, long? addressSpaceBytes)
        where TSys : struct, ITailSyscalls
    {
        if (!sys.StartNoGcRegion())
        {
            throw new LaunchFailedException("internal", 0, "could not enter a no-GC region");
        }

        Check(ref sys, sys.ResetSignals(), "signals", "sigprocmask(SIG_SETMASK, {})");
        Check(ref sys, sys.NoNewPrivs(), "no_new_privs", "prctl(PR_SET_NO_NEW_PRIVS)");
        Check(ref sys, sys.InstallSeccomp(seccomp), "seccomp", "prctl(PR_SET_SECCOMP) socket filter");
        Check(ref sys, sys.LandlockRestrictSelf(rulesetFd), "landlock_restrict_self", "landlock_restrict_self");
        sys.Close(rulesetFd);

        // Address space last among the limits: a low one would break the allocations above.
        if (addressSpaceBytes is { } asBytes)
        {
            Check(ref sys, sys.SetLimit(Libc.RlimitAs, asBytes), "rlimit", $"setrlimit(RLIMIT_AS, {asBytes})");
        }

        if (sys.WriteMarker() != 1)
        {
            throw Failure(ref sys, "marker", "write of the confined marker to stdout");
        }
    }

    private static void Check<TSys>(ref TSys sys, int rc, string step, string what)
        where TSys : struct, ITailSyscalls
    {
        if (rc != 0)
        {
            throw Failure(ref sys, step, what);
        }
    }

    private static LaunchFailedException Failure<TSys>(ref TSys sys, string step, string what)
        where TSys : struct, ITailSyscalls
    {
        var errno = sys.Errno;
        return new LaunchFailedException(step, errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
