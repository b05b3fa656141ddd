using System.Runtime.InteropServices;
using Carapace.Sandbox.Windows;

namespace Carapace.Sandbox.Tests.Windows;

public sealed class JobLimitsTests
{
    [Fact]
    public void Limits_map_to_job_object_limits()
    {
        var limits = JobLimits.From(new SandboxLimits { CpuSeconds = 7, Processes = 16, AddressSpaceBytes = 512L * 1024 * 1024, OpenFiles = 64, FileSizeBytes = 1 });

        Assert.Equal(
            JobLimitFlags.KillOnJobClose | JobLimitFlags.DieOnUnhandledException | JobLimitFlags.ProcessTime
            | JobLimitFlags.ActiveProcess | JobLimitFlags.ProcessMemory | JobLimitFlags.JobMemory,
            limits.Flags);
        Assert.Equal(70_000_000, limits.PerProcessUserTimeLimit); // 100 ns units
        Assert.Equal(16u, limits.ActiveProcessLimit);
        Assert.Equal(512UL * 1024 * 1024, limits.ProcessMemoryLimit);
        Assert.Equal(512UL * 1024 * 1024, limits.JobMemoryLimit);

        var native = limits.ToNative();
        Assert.Equal((uint)limits.Flags, native.BasicLimitInformation.LimitFlags);
        Assert.Equal(70_000_000, native.BasicLimitInformation.PerProcessUserTimeLimit);
        Assert.Equal(16u, native.BasicLimitInformation.ActiveProcessLimit);
        Assert.Equal((nuint)(512UL * 1024 * 1024), native.ProcessMemoryLimit);
        Assert.Equal((nuint)(512UL * 1024 * 1024), native.JobMemoryLimit);
    }

    [Fact]
    public void Unset_limits_set_no_flag_but_kill_on_close_always_applies()
    {
        var limits = JobLimits.From(new SandboxLimits { CpuSeconds = null, Processes = null, AddressSpaceBytes = null });

        Assert.Equal(JobLimitFlags.KillOnJobClose | JobLimitFlags.DieOnUnhandledException, limits.Flags);
        Assert.Equal(0, limits.PerProcessUserTimeLimit);
        Assert.Equal(0u, limits.ActiveProcessLimit);
        Assert.Equal(0UL, limits.ProcessMemoryLimit);
    }

    [Fact]
    public void Flag_values_are_the_win32_ones()
    {
        Assert.Equal(0x2u, (uint)JobLimitFlags.ProcessTime);
        Assert.Equal(0x8u, (uint)JobLimitFlags.ActiveProcess);
        Assert.Equal(0x100u, (uint)JobLimitFlags.ProcessMemory);
        Assert.Equal(0x200u, (uint)JobLimitFlags.JobMemory);
        Assert.Equal(0x400u, (uint)JobLimitFlags.DieOnUnhandledException);
        Assert.Equal(0x2000u, (uint)JobLimitFlags.KillOnJobClose);
        Assert.Equal((nuint)0x20002, ProcThreadAttributes.HandleList);
        Assert.Equal((nuint)0x20009, ProcThreadAttributes.SecurityCapabilities);
        Assert.Equal((nuint)0x2000D, ProcThreadAttributes.JobList);
    }

    [Fact]
    public void Struct_layouts_match_the_64_bit_windows_headers()
    {
        Assert.True(Environment.Is64BitProcess, "the layouts below are the x64/arm64 ones");

        Assert.Equal(64, Marshal.SizeOf<JobObjectBasicLimitInformation>());
        Assert.Equal(16, (int)Marshal.OffsetOf<JobObjectBasicLimitInformation>(nameof(JobObjectBasicLimitInformation.LimitFlags)));
        Assert.Equal(40, (int)Marshal.OffsetOf<JobObjectBasicLimitInformation>(nameof(JobObjectBasicLimitInformation.ActiveProcessLimit)));
        Assert.Equal(48, Marshal.SizeOf<IoCounters>());
        Assert.Equal(144, Marshal.SizeOf<JobObjectExtendedLimitInformation>());
        Assert.Equal(112, (int)Marshal.OffsetOf<JobObjectExtendedLimitInformation>(nameof(JobObjectExtendedLimitInformation.ProcessMemoryLimit)));
        Assert.Equal(120, (int)Marshal.OffsetOf<JobObjectExtendedLimitInformation>(nameof(JobObjectExtendedLimitInformation.JobMemoryLimit)));
        Assert.Equal(24, Marshal.SizeOf<SecurityCapabilities>());
        Assert.Equal(104, Marshal.SizeOf<StartupInfo>());
        Assert.Equal(60, (int)Marshal.OffsetOf<StartupInfo>(nameof(StartupInfo.Flags)));
        Assert.Equal(80, (int)Marshal.OffsetOf<StartupInfo>(nameof(StartupInfo.StdInput)));
        Assert.Equal(112, Marshal.SizeOf<StartupInfoEx>());
        Assert.Equal(104, (int)Marshal.OffsetOf<StartupInfoEx>(nameof(StartupInfoEx.AttributeList)));
        Assert.Equal(24, Marshal.SizeOf<ProcessInformation>());
    }
}
