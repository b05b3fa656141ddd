using System.Globalization;
using Carapace.Abstractions.Sandbox;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Sandbox.Linux;

/// <summary>
/// Hands out the unprivileged uids that sandboxed runs switch to when the host runs as root. A uid
/// must be unique across every Carapace process on the machine, not just this one: the broker kills
/// all processes of a run's uid when the run ends, and RLIMIT_NPROC counts per uid, so two brokers
/// sharing a uid would kill and starve each other's runs.
/// </summary>
/// <remarks>
/// <para>Each rented uid is reserved by <c>flock(LOCK_EX|LOCK_NB)</c> on a file named after it in one
/// machine-wide, root-only directory (<see cref="DefaultDirectory"/>, never under a per-user or per-unit
/// temp dir, which would give two brokers two directories over the same uids). The lock is taken with
/// flock(2) directly: .NET's FileShare.None lock is advisory and best effort (it ignores errors other
/// than EWOULDBLOCK, and DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns it off). The kernel drops the lock
/// when its holder dies, so a crashed broker never leaks a reservation.</para>
/// <para>A crashed broker can leave processes running as the uid. The lock file therefore says
/// <c>busy</c> while rented and is emptied only when a run's uid was swept clean; a renter sweeps the uid
/// (kills every process of it) before use whenever the file is new or still says busy.</para>
/// <para>Every error is a <see cref="SandboxUnavailableException"/> with the reason: the directory must be
/// a real directory owned by the broker's user (root) with no group or other permissions, and lock files
/// are opened relative to it with O_NOFOLLOW.</para>
/// </remarks>
internal sealed class RunUidPool
{
    /// <summary>The one reservation directory of the machine (root-only; the pool is used only when root).</summary>
    public const string DefaultDirectory = "/run/carapace/sandbox-uids";

    private static readonly byte[] BusyMarker = "busy\n"u8.ToArray();

    private readonly uint _baseUid;
    private readonly uint _count;
    private readonly string _directory;
    private readonly Func<uint, bool> _sweep;
    private readonly Dictionary<uint, SafeFileHandle> _held = [];
    private readonly Lock _lock = new();

    /// <param name="sweep">Kills every process of a uid; true when none is left. Default: <see cref="ProcessSweeper"/>.</param>
    public RunUidPool(uint baseUid, uint count, string directory = DefaultDirectory, Func<uint, bool>? sweep = null)
    {
        _baseUid = baseUid;
        _count = count;
        _directory = directory;
        _sweep = sweep ?? SweepClean;
    }

    public static bool SweepClean(uint uid) => ProcessSweeper.SweepUntilGone(uid, TimeSpan.FromSeconds(2));

    public uint Rent()
    {
        lock (_lock)
        {
            using var directory = OpenVerifiedDirectory();

            // Lowest free uid first: returned uids are reused, so their lock files say they are clean and
            // need no sweep; a concurrent broker that probes the same order only meets EWOULDBLOCK.
            for (uint i = 0; i < _count; i++)
            {
                var uid = _baseUid + i;
                if (_held.ContainsKey(uid))
                {
                    continue;
                }

                if (TryReserve(directory, uid) is { } reservation)
                {
                    _held[uid] = reservation;
                    return uid;
                }
            }
        }

        throw new SandboxUnavailableException($"every per-run sandbox uid ({_baseUid}..{_baseUid + _count - 1}) is in use");
    }

    /// <param name="clean">True when the run's uid was swept and nothing of it is alive; otherwise the next renter sweeps again.</param>
    public void Return(uint uid, bool clean)
    {
        lock (_lock)
        {
            if (_held.Remove(uid, out var reservation))
            {
                if (clean)
                {
                    _ = LinuxNative.FTruncate(reservation, 0);
                }

                reservation.Dispose(); // close(2) drops the flock
            }
        }
    }

    private SafeFileHandle? TryReserve(SafeFileHandle directory, uint uid)
    {
        var name = uid.ToString(CultureInfo.InvariantCulture);
        var created = true;
        var fd = LinuxNative.OpenAt(directory, name, LinuxNative.ORdWr | LinuxNative.OCreat | LinuxNative.OExcl | LinuxNative.ONoFollow, 0b110_000_000, out var errno);
        if (fd.IsInvalid && errno == LinuxNative.EExist)
        {
            fd.Dispose();
            created = false;
            fd = LinuxNative.OpenAt(directory, name, LinuxNative.ORdWr | LinuxNative.ONoFollow, 0, out errno);
        }

        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw new SandboxUnavailableException(errno == LinuxNative.ELoop
                ? $"uid lock file '{Path.Combine(_directory, name)}' is a symbolic link; refusing to use it"
                : $"cannot open uid lock file '{Path.Combine(_directory, name)}': {LinuxNative.Describe(errno)}");
        }

        try
        {
            while (LinuxNative.Flock(fd, LinuxNative.LockEx | LinuxNative.LockNb) != 0)
            {
                errno = LinuxNative.LastError;
                if (errno == LinuxNative.EAgain)
                {
                    fd.Dispose();
                    return null; // held by another broker process
                }

                if (errno != LinuxNative.EIntr)
                {
                    throw new SandboxUnavailableException($"flock of uid lock file '{Path.Combine(_directory, name)}' failed: {LinuxNative.Describe(errno)}");
                }
            }

            // Under the lock: what the last holder left is final now.
            if (!LinuxNative.TryStat(fd, out var stat, out errno))
            {
                throw new SandboxUnavailableException($"cannot stat uid lock file '{Path.Combine(_directory, name)}': {LinuxNative.Describe(errno)}");
            }

            if (stat.Type != LinuxNative.SIfReg)
            {
                throw new SandboxUnavailableException($"uid lock file '{Path.Combine(_directory, name)}' is not a regular file");
            }

            var busy = created || stat.Size > 0;
            try
            {
                RandomAccess.Write(fd, BusyMarker, 0);
            }
            catch (IOException e)
            {
                throw new SandboxUnavailableException($"cannot mark uid lock file '{Path.Combine(_directory, name)}' busy: {e.Message}", e);
            }

            // A new file, or one a dead holder left busy: processes of the uid may still run. Kill them first.
            if (busy && !_sweep(uid))
            {
                throw new SandboxUnavailableException($"processes of per-run uid {uid} survived the sweep before reuse");
            }

            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private SafeFileHandle OpenVerifiedDirectory()
    {
        var owner = LinuxNative.GetEuid();
        if (!LinuxNative.TryLStat(_directory, out _, out var errno))
        {
            CreateDirectory(errno);
        }

        var fd = LinuxNative.Open(_directory, LinuxNative.OPath | LinuxNative.ODirectory | LinuxNative.ONoFollow, 0, out errno);
        if (fd.IsInvalid)
        {
            fd.Dispose();
            throw new SandboxUnavailableException(errno is LinuxNative.ELoop or 20 /* ENOTDIR: O_NOFOLLOW|O_PATH on a link */
                ? $"uid lock directory '{_directory}' is not a directory (a symbolic link?); refusing to use it"
                : $"cannot open uid lock directory '{_directory}': {LinuxNative.Describe(errno)}");
        }

        if (!LinuxNative.TryStat(fd, out var stat, out errno))
        {
            fd.Dispose();
            throw new SandboxUnavailableException($"cannot stat uid lock directory '{_directory}': {LinuxNative.Describe(errno)}");
        }

        string? problem = stat.Type != LinuxNative.SIfDir ? "is not a directory"
            : stat.Uid != owner ? $"is owned by uid {stat.Uid}, not {owner}"
            : (stat.Permissions & 0b000_111_111) != 0 ? $"has mode {Convert.ToString(stat.Permissions, 8)}; it must be 0700 (no group or other access)"
            : null;
        if (problem is not null)
        {
            fd.Dispose();
            throw new SandboxUnavailableException($"uid lock directory '{_directory}' {problem}; refusing to use it");
        }

        return fd;
    }

    private void CreateDirectory(int lstatErrno)
    {
        if (lstatErrno != 2 /* ENOENT */)
        {
            throw new SandboxUnavailableException($"cannot stat uid lock directory '{_directory}': {LinuxNative.Describe(lstatErrno)}");
        }

        // The parent (/run/carapace) is created 0755 when missing; only the reservation directory is private.
        if (Path.GetDirectoryName(_directory) is { } parent && LinuxNative.MkDir(parent, 0b111_101_101) != 0)
        {
            var errno = LinuxNative.LastError;
            if (errno != LinuxNative.EExist)
            {
                throw new SandboxUnavailableException($"cannot create '{parent}' for the uid lock directory: {LinuxNative.Describe(errno)}");
            }
        }

        if (LinuxNative.MkDir(_directory, 0b111_000_000) != 0)
        {
            var errno = LinuxNative.LastError;
            if (errno != LinuxNative.EExist)
            {
                throw new SandboxUnavailableException($"cannot create uid lock directory '{_directory}': {LinuxNative.Describe(errno)}");
            }
        }
    }
}
