using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Sandbox.Linux;

/// <summary>The few libc calls the broker needs on Linux (the launcher has its own).</summary>
internal static partial class LinuxNative
{
    private const string Libc = "libc.so.6";

    public const int SigKill = 9;

    public const int EIntr = 4;
    public const int EAgain = 11; // = EWOULDBLOCK
    public const int EExist = 17;
    public const int ELoop = 40;

    public const int ORdOnly = 0;
    public const int ORdWr = 2;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloexec = 0x80000;
    public const int OPath = 0x200000;

    public const int LockEx = 2;
    public const int LockNb = 4;

    public const uint SIfMt = 0xF000;
    public const uint SIfDir = 0x4000;
    public const uint SIfReg = 0x8000;
    public const uint SIfLnk = 0xA000;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasic = 0x7FF;

    /// <summary>O_NOFOLLOW: 0x8000 on arm/arm64/powerpc, 0x20000 on the asm-generic layout (x86, x64, riscv64 …).</summary>
    public static int ONoFollow => FlagsLikeArm ? 0x8000 : 0x20000;

    /// <summary>O_DIRECTORY, same split as <see cref="ONoFollow"/>.</summary>
    public static int ODirectory => FlagsLikeArm ? 0x4000 : 0x10000;

    private static bool FlagsLikeArm => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le => true,
        Architecture.X64 or Architecture.X86 or Architecture.RiscV64 or Architecture.LoongArch64 or Architecture.S390x => false,
        var other => throw new PlatformNotSupportedException($"open(2) flag values for {other} are not known to Carapace"),
    };

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(Libc, EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nint a1, nint a2, nint a3);

    [LibraryImport(Libc, EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport(Libc, EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, uint mode);

    [LibraryImport(Libc, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtNative(SafeFileHandle directory, string path, int flags, uint mode);

    [LibraryImport(Libc, EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkDir(string path, uint mode);

    [LibraryImport(Libc, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(SafeFileHandle fd, long length);

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxFd(SafeFileHandle fd, string path, int flags, uint mask, out Statx buffer);

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxPath(int dirFd, string path, int flags, uint mask, out Statx buffer);

    /// <summary>The fields of <c>struct statx</c> (256 bytes, the same on every architecture) the broker reads.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;

        public readonly uint Type => Mode & SIfMt;

        public readonly uint Permissions => Mode & 0xFFFu;
    }

    /// <summary>realpath(3): every symlink resolved; null if the path does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = RealPathNative(path, 0);
        if (p == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>open(2); a failed open is an invalid handle and <paramref name="errno"/> says why.</summary>
    public static SafeFileHandle Open(string path, int flags, uint mode, out int errno)
    {
        var fd = OpenNative(path, flags | OCloexec, mode);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>openat(2) relative to an open directory, so the directory cannot be swapped under us.</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle directory, string name, int flags, uint mode, out int errno)
    {
        var fd = OpenAtNative(directory, name, flags | OCloexec, mode);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>fstat of an open descriptor (statx with AT_EMPTY_PATH).</summary>
    public static bool TryStat(SafeFileHandle fd, out Statx stat, out int errno)
    {
        var ok = StatxFd(fd, string.Empty, AtEmptyPath, StatxBasic, out stat) == 0;
        errno = ok ? 0 : Marshal.GetLastPInvokeError();
        return ok;
    }

    /// <summary>lstat of a path (a symbolic link is reported as itself).</summary>
    public static bool TryLStat(string path, out Statx stat, out int errno)
    {
        var ok = StatxPath(AtFdCwd, path, AtSymlinkNoFollow, StatxBasic, out stat) == 0;
        errno = ok ? 0 : Marshal.GetLastPInvokeError();
        return ok;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
