using System.Runtime.InteropServices;

namespace Carapace.Sandbox.Exec;

/// <summary>
/// libc entry points resolved once, up front, as unmanaged function pointers. Calling through them
/// needs no marshalling stub, lazy binding or allocation, which matters after RLIMIT_AS is set and in
/// the JIT fallback build (pitfall P3). errno is read through __errno_location.
/// </summary>
internal static unsafe class Libc
{
    public static delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, nint> Syscall;
    public static delegate* unmanaged<int, nint, nint, nint, nint, int> Prctl;
    public static delegate* unmanaged<byte*, int, int, int> Open;
    public static delegate* unmanaged<int, int> Close;
    public static delegate* unmanaged<int, byte*, nint, nint> Read;
    public static delegate* unmanaged<int, byte*, nint, nint> Write;
    public static delegate* unmanaged<int> Setsid;
    public static delegate* unmanaged<byte*, int> Chdir;
    public static delegate* unmanaged<int, nint, nint> Signal;
    public static delegate* unmanaged<int, byte*, byte*, int> Sigprocmask;
    public static delegate* unmanaged<int, RLimit*, int> Setrlimit;
    public static delegate* unmanaged<int, RLimit*, int> Getrlimit;
    public static delegate* unmanaged<uint> Geteuid;
    public static delegate* unmanaged<CapHeader*, CapData*, int> Capset;
    public static delegate* unmanaged<CapHeader*, CapData*, int> Capget;
    public static delegate* unmanaged<byte*, byte**, byte**, int> Execve;
    public static delegate* unmanaged<int*> ErrnoLocation;
    public static delegate* unmanaged<byte*, byte*, byte*> Realpath;

    private static bool _loaded;

    public static int Errno => *ErrnoLocation();

    public static void Load()
    {
        if (_loaded)
        {
            return;
        }

        var lib = NativeLibrary.Load(OperatingSystem.IsMacOS() ? "libc.dylib" : "libc.so.6");
        Syscall = (delegate* unmanaged<nint, nint, nint, nint, nint, nint, nint, nint>)NativeLibrary.GetExport(lib, "syscall");
        Prctl = (delegate* unmanaged<int, nint, nint, nint, nint, int>)NativeLibrary.GetExport(lib, "prctl");
        Open = (delegate* unmanaged<byte*, int, int, int>)NativeLibrary.GetExport(lib, "open");
        Close = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(lib, "close");
        Read = (delegate* unmanaged<int, byte*, nint, nint>)NativeLibrary.GetExport(lib, "read");
        Write = (delegate* unmanaged<int, byte*, nint, nint>)NativeLibrary.GetExport(lib, "write");
        Setsid = (delegate* unmanaged<int>)NativeLibrary.GetExport(lib, "setsid");
        Chdir = (delegate* unmanaged<byte*, int>)NativeLibrary.GetExport(lib, "chdir");
        Signal = (delegate* unmanaged<int, nint, nint>)NativeLibrary.GetExport(lib, "signal");
        Sigprocmask = (delegate* unmanaged<int, byte*, byte*, int>)NativeLibrary.GetExport(lib, "sigprocmask");
        Setrlimit = (delegate* unmanaged<int, RLimit*, int>)NativeLibrary.GetExport(lib, "setrlimit");
        Getrlimit = (delegate* unmanaged<int, RLimit*, int>)NativeLibrary.GetExport(lib, "getrlimit");
        Geteuid = (delegate* unmanaged<uint>)NativeLibrary.GetExport(lib, "geteuid");
        Capset = (delegate* unmanaged<CapHeader*, CapData*, int>)NativeLibrary.GetExport(lib, "capset");
        Capget = (delegate* unmanaged<CapHeader*, CapData*, int>)NativeLibrary.GetExport(lib, "capget");
        Execve = (delegate* unmanaged<byte*, byte**, byte**, int>)NativeLibrary.GetExport(lib, "execve");
        ErrnoLocation = (delegate* unmanaged<int*>)NativeLibrary.GetExport(lib, "__errno_location");
        Realpath = (delegate* unmanaged<byte*, byte*, byte*>)NativeLibrary.GetExport(lib, "realpath");
        _loaded = true;
    }

    // Syscall numbers from the generic table: identical on x86_64 and arm64.
    public const nint SysCloseRange = 436;
    public const nint SysLandlockCreateRuleset = 444;
    public const nint SysLandlockAddRule = 445;
    public const nint SysLandlockRestrictSelf = 446;

    // The credential syscalls, called raw rather than through glibc: glibc's setgroups/setresgid/setresuid
    // change every thread of the process, by signalling each one (the runtime's finalizer thread) and
    // waiting for it to run, three cross-thread round trips per spawn. Only the calling thread matters
    // here: it is the one that execs, and execve discards every other thread. The other per-thread state
    // (capabilities, no_new_privs, seccomp, Landlock) is applied the same way. Numbers differ per arch.
    public static nint SysSetgroups => IsArm64 ? 159 : 116;
    public static nint SysSetresuid => IsArm64 ? 147 : 117;
    public static nint SysSetresgid => IsArm64 ? 149 : 119;

    private static bool IsArm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    public const int ORdOnly = 0;
    /// <summary>O_DIRECTORY is one of the few open flags that differ between x86_64 and arm64.</summary>
    public static int ODirectory => IsArm64 ? 0x4000 : 0x10000;
    public const int OPath = 0x200000;
    public const int OCloexec = 0x80000;
    public const int ENoEnt = 2;
    public const int ENotDir = 20;

    public const uint CloseRangeCloexec = 1u << 2;

    public const int PrSetNoNewPrivs = 38;
    public const int PrSetSeccomp = 22;
    public const int PrCapbsetDrop = 24;
    public const int PrCapAmbient = 47;
    public const int PrCapAmbientClearAll = 4;
    public const int SeccompModeFilter = 2;

    public const int SigSetMask = 2;

    public const int RlimitCpu = 0;
    public const int RlimitFsize = 1;
    public const int RlimitCore = 4;
    public const int RlimitNproc = 6;
    public const int RlimitNofile = 7;
    public const int RlimitAs = 9;
    public const ulong RlimInfinity = ulong.MaxValue;

    public const uint LinuxCapabilityVersion3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct LandlockRulesetAttr
    {
        public ulong HandledAccessFs;
        public ulong HandledAccessNet;
        public ulong Scoped;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct LandlockPathBeneathAttr
    {
        public ulong AllowedAccess;
        public int ParentFd;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct LandlockNetPortAttr
    {
        public ulong AllowedAccess;
        public ulong Port;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort Length;
        public BpfInstruction* Filter;
    }
}
