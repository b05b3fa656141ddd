using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Sandbox.Windows;

/// <summary>
/// The Win32 surface of the Windows backend: Job Objects, the proc-thread attribute list, CreateProcessW
/// and AppContainer profiles. Hand-written (no CsWin32) because it is a dozen functions and the structs
/// must stay blittable for LibraryImport; layouts are checked by unit tests on x64.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe partial class WindowsNative
{
    private const string Kernel32 = "kernel32.dll";
    private const string Advapi32 = "advapi32.dll";
    private const string Userenv = "userenv.dll";

    public const int JobObjectExtendedLimitInformationClass = 9;

    public const uint ExtendedStartupInfoPresent = 0x00080000;
    public const uint CreateUnicodeEnvironment = 0x00000400;
    public const uint CreateNoWindow = 0x08000000;
    public const int StartfUseStdHandles = 0x00000100;

    public const int HResultAlreadyExists = unchecked((int)0x800700B7); // HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)

    [LibraryImport(Kernel32, EntryPoint = "CreateJobObjectW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial SafeJobHandle CreateJobObject(nint jobAttributes, string? name);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial int SetInformationJobObject(SafeJobHandle job, int infoClass, JobObjectExtendedLimitInformation* info, uint length);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial int TerminateJobObject(SafeJobHandle job, uint exitCode);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial int InitializeProcThreadAttributeList(nint attributeList, int attributeCount, int flags, ref nuint size);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial int UpdateProcThreadAttribute(nint attributeList, uint flags, nuint attribute, void* value, nuint size, nint previousValue, nint returnSize);

    [LibraryImport(Kernel32)]
    public static partial void DeleteProcThreadAttributeList(nint attributeList);

    [LibraryImport(Kernel32, EntryPoint = "CreateProcessW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial int CreateProcess(
        string applicationName,
        char* commandLine,
        nint processAttributes,
        nint threadAttributes,
        int inheritHandles,
        uint creationFlags,
        char* environment,
        string currentDirectory,
        StartupInfoEx* startupInfo,
        ProcessInformation* processInformation);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial int CloseHandle(nint handle);

    [LibraryImport(Kernel32, SetLastError = true)]
    public static partial int GetExitCodeProcess(SafeProcessHandle process, out uint exitCode);

    [LibraryImport(Kernel32)]
    public static partial nint LocalFree(nint memory);

    [LibraryImport(Userenv, StringMarshalling = StringMarshalling.Utf16)]
    public static partial int CreateAppContainerProfile(string name, string displayName, string description, nint capabilities, uint capabilityCount, out nint sid);

    [LibraryImport(Userenv, StringMarshalling = StringMarshalling.Utf16)]
    public static partial int DeriveAppContainerSidFromAppContainerName(string name, out nint sid);

    [LibraryImport(Advapi32)]
    public static partial nint FreeSid(nint sid);

    [LibraryImport(Advapi32, EntryPoint = "ConvertSidToStringSidW", SetLastError = true)]
    public static partial int ConvertSidToStringSid(nint sid, out nint stringSid);

    [LibraryImport(Advapi32, EntryPoint = "ConvertStringSidToSidW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    public static partial int ConvertStringSidToSid(string stringSid, out nint sid);
}

/// <summary>A Job Object handle; closing the last one kills the job's processes (KILL_ON_JOB_CLOSE).</summary>
[SupportedOSPlatform("windows")]
internal sealed class SafeJobHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeJobHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle() => WindowsNative.CloseHandle(handle) != 0;
}

/// <summary>Proc-thread attribute numbers (ProcThreadAttributeValue(n, thread=0, input=1, additive=0)).</summary>
internal static class ProcThreadAttributes
{
    public const nuint HandleList = 0x00020002;
    public const nuint SecurityCapabilities = 0x00020009;
    public const nuint JobList = 0x0002000D;
}

/// <summary>JOB_OBJECT_LIMIT_* flags the backend sets.</summary>
[Flags]
internal enum JobLimitFlags : uint
{
    None = 0,
    ProcessTime = 0x00000002,
    ActiveProcess = 0x00000008,
    ProcessMemory = 0x00000100,
    JobMemory = 0x00000200,
    DieOnUnhandledException = 0x00000400,
    KillOnJobClose = 0x00002000,
}

[StructLayout(LayoutKind.Sequential)]
internal struct JobObjectBasicLimitInformation
{
    public long PerProcessUserTimeLimit;
    public long PerJobUserTimeLimit;
    public uint LimitFlags;
    public nuint MinimumWorkingSetSize;
    public nuint MaximumWorkingSetSize;
    public uint ActiveProcessLimit;
    public nuint Affinity;
    public uint PriorityClass;
    public uint SchedulingClass;
}

[StructLayout(LayoutKind.Sequential)]
internal struct IoCounters
{
    public ulong ReadOperationCount;
    public ulong WriteOperationCount;
    public ulong OtherOperationCount;
    public ulong ReadTransferCount;
    public ulong WriteTransferCount;
    public ulong OtherTransferCount;
}

[StructLayout(LayoutKind.Sequential)]
internal struct JobObjectExtendedLimitInformation
{
    public JobObjectBasicLimitInformation BasicLimitInformation;
    public IoCounters IoInfo;
    public nuint ProcessMemoryLimit;
    public nuint JobMemoryLimit;
    public nuint PeakProcessMemoryUsed;
    public nuint PeakJobMemoryUsed;
}

/// <summary>SECURITY_CAPABILITIES: an AppContainer SID and (here always) zero capabilities, hence no network.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SecurityCapabilities
{
    public nint AppContainerSid;
    public nint Capabilities;
    public uint CapabilityCount;
    public uint Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StartupInfo
{
    public int Cb;
    public nint Reserved;
    public nint Desktop;
    public nint Title;
    public int X;
    public int Y;
    public int XSize;
    public int YSize;
    public int XCountChars;
    public int YCountChars;
    public int FillAttribute;
    public int Flags;
    public short ShowWindow;
    public short Reserved2Count;
    public nint Reserved2;
    public nint StdInput;
    public nint StdOutput;
    public nint StdError;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StartupInfoEx
{
    public StartupInfo StartupInfo;
    public nint AttributeList;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ProcessInformation
{
    public nint Process;
    public nint Thread;
    public int ProcessId;
    public int ThreadId;
}
