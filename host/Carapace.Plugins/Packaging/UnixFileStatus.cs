using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Carapace.Plugins.Packaging;

/// <summary>File type and owner of a path, without following a final symlink (lstat semantics).</summary>
internal readonly record struct UnixFileStatus(UnixFileType Type, uint OwnerUid, UnixFileMode Mode);

internal enum UnixFileType
{
    Regular,
    Directory,
    Symlink,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

/// <summary>
/// Reads what .NET does not expose: the file type beyond file/directory/link, and the owner uid.
/// </summary>
/// <remarks>
/// .NET has no owner API and Mono.Unix is not available. This calls Linux <c>statx(2)</c> through
/// glibc/musl rather than <c>lstat(2)</c>: <c>struct statx</c> has one layout on every architecture,
/// while <c>struct stat</c> differs between x64 and arm64 and glibc only exports <c>lstat</c> as a
/// symbol since 2.33. Parsing <c>/proc</c> cannot stat arbitrary paths. Other platforms return
/// <c>null</c> and callers say the check is unavailable instead of guessing.
/// </remarks>
internal static class UnixFileStatusReader
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;
    private const uint Requested = StatxType | StatxMode | StatxUid;

    // struct statx is 256 bytes: stx_mask u32 @0, stx_uid u32 @20, stx_mode u16 @28.
    private const int StatxSize = 256;

    /// <summary>True where <see cref="TryLstat"/> and <see cref="EffectiveUid"/> work.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The lstat of <paramref name="path"/>, or null on an unsupported platform.</summary>
    /// <exception cref="IOException">The path cannot be examined (missing, permission denied).</exception>
    public static UnixFileStatus? TryLstat(string path)
    {
        if (!IsSupported)
        {
            return null;
        }

        var pathBytes = Encoding.UTF8.GetBytes(path + "\0");
        var buffer = new byte[StatxSize];
        if (NativeMethods.statx(AtFdCwd, pathBytes, AtSymlinkNoFollow, Requested, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot examine '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        var mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(0));
        if ((mask & Requested) != Requested)
        {
            throw new IOException($"cannot examine '{path}': the file system did not report type, mode and owner");
        }

        var uid = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20))
            : BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(20));
        var mode = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28))
            : BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(28));
        return new UnixFileStatus(TypeOf(mode), uid, (UnixFileMode)(mode & 0xFFF));
    }

    /// <summary>The effective uid of this process, or null on an unsupported platform.</summary>
    public static uint? EffectiveUid() => IsSupported ? NativeMethods.geteuid() : null;

    /// <summary>Maps the S_IFMT bits of a mode to a file type.</summary>
    public static UnixFileType TypeOf(int mode) => (mode & 0xF000) switch
    {
        0x8000 => UnixFileType.Regular,
        0x4000 => UnixFileType.Directory,
        0xA000 => UnixFileType.Symlink,
        0x2000 => UnixFileType.CharacterDevice,
        0x6000 => UnixFileType.BlockDevice,
        0x1000 => UnixFileType.Fifo,
        0xC000 => UnixFileType.Socket,
        _ => UnixFileType.Unknown,
    };

    private static class NativeMethods
    {
        // Classic DllImport with blittable arguments (byte[] is pinned, not copied) because the
        // project does not enable unsafe code, which LibraryImport's generated stubs need.
        [DllImport("libc", SetLastError = true, ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int statx(int dirfd, byte[] pathname, int flags, uint mask, byte[] statxbuf);

        [DllImport("libc", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern uint geteuid();
    }
}
