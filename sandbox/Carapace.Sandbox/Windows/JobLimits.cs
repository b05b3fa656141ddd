namespace Carapace.Sandbox.Windows;

/// <summary>
/// <see cref="SandboxLimits"/> as Job Object limits. Processes → ACTIVE_PROCESS; CPU seconds → PROCESS_TIME
/// (user-mode time per process, 100 ns units); address space, when set → PROCESS_MEMORY and JOB_MEMORY (commit
/// charge: the closest Windows has); always KILL_ON_JOB_CLOSE (nothing outlives the broker's handle) and
/// DIE_ON_UNHANDLED_EXCEPTION (no error-reporting dialog holding the run open). Open files and file size have
/// no Job Object equivalent and are reported as not enforced by the backend's status.
/// </summary>
internal sealed record JobLimits(JobLimitFlags Flags, long PerProcessUserTimeLimit, uint ActiveProcessLimit, ulong ProcessMemoryLimit, ulong JobMemoryLimit)
{
    public const long TicksPerSecond = 10_000_000;

    public static JobLimits From(SandboxLimits limits)
    {
        var flags = JobLimitFlags.KillOnJobClose | JobLimitFlags.DieOnUnhandledException;
        long time = 0;
        uint processes = 0;
        ulong memory = 0;
        if (limits.CpuSeconds is { } cpu)
        {
            flags |= JobLimitFlags.ProcessTime;
            time = checked(cpu * TicksPerSecond);
        }

        if (limits.Processes is { } p)
        {
            flags |= JobLimitFlags.ActiveProcess;
            processes = (uint)p;
        }

        if (limits.AddressSpaceBytes is { } bytes)
        {
            flags |= JobLimitFlags.ProcessMemory | JobLimitFlags.JobMemory;
            memory = (ulong)bytes;
        }

        return new JobLimits(flags, time, processes, memory, memory);
    }

    public JobObjectExtendedLimitInformation ToNative() => new()
    {
        BasicLimitInformation = new JobObjectBasicLimitInformation
        {
            LimitFlags = (uint)Flags,
            PerProcessUserTimeLimit = PerProcessUserTimeLimit,
            ActiveProcessLimit = ActiveProcessLimit,
        },
        ProcessMemoryLimit = checked((nuint)ProcessMemoryLimit),
        JobMemoryLimit = checked((nuint)JobMemoryLimit),
    };
}
