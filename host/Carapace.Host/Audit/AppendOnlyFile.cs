using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Host.Audit;

/// <summary>
/// A file opened with <c>O_APPEND</c>, written one whole line per <c>write(2)</c>. With O_APPEND the kernel
/// moves to the end and writes in one step, so lines from concurrent writers (another gateway process,
/// a crash-restarted one) never interleave or overwrite each other. .NET's <c>FileMode.Append</c> does not
/// set O_APPEND (it seeks to the end once, at open), hence the direct <c>open(2)</c> on Linux. Elsewhere
/// (open is variadic, which P/Invoke cannot call portably) it falls back to FileMode.Append, safe with a
/// single writer.
/// </summary>
internal sealed partial class AppendOnlyFile : IDisposable
{
    private const int EINTR = 4;
    private readonly SafeFileHandle? _handle;
    private readonly FileStream? _fallback;

    private AppendOnlyFile(SafeFileHandle? handle, FileStream? fallback, long length)
    {
        _handle = handle;
        _fallback = fallback;
        Length = length;
    }

    /// <summary>Bytes in the file (as of opening, plus what this instance appended).</summary>
    public long Length { get; private set; }

    /// <summary>Opens (creating 0600 if missing) for appending; a wider existing file is tightened to 0600.</summary>
    public static AppendOnlyFile Open(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            const int flags = 0x1 | 0x40 | 0x400 | 0x80000;   // O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC
            int fd;
            do
            {
                fd = OpenNative(path, flags, 0x180);     // 0600
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"cannot open {path} for appending: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
            }

            var handle = new SafeFileHandle(fd, ownsHandle: true);
            Storage.OwnerOnly.TightenFile(path);
            return new AppendOnlyFile(handle, null, RandomAccess.GetLength(handle));
        }

        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0,
        });
        return new AppendOnlyFile(null, stream, stream.Length);
    }

    /// <summary>Appends <paramref name="line"/> with one write call (the kernel may split only on error or a full disk).</summary>
    public unsafe void Append(ReadOnlySpan<byte> line)
    {
        if (_fallback is not null)
        {
            _fallback.Write(line);
            Length += line.Length;
            return;
        }

        fixed (byte* start = line)
        {
            var done = 0;
            while (done < line.Length)
            {
                var written = WriteNative(_handle!, start + done, line.Length - done);
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"audit write failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
                }

                done += (int)written;
            }
        }

        Length += line.Length;
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _fallback?.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteNative(SafeFileHandle fd, byte* buffer, nint count);
}
