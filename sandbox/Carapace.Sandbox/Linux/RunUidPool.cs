namespace Carapace.Sandbox.Linux;

/// <summary>
/// Hands out the unprivileged uids that sandboxed runs switch to when the host runs as root. A uid
/// must be unique across every Carapace process on the machine, not just this one: the broker kills
/// all processes of a run's uid when the run ends, and RLIMIT_NPROC counts per uid, so two brokers
/// sharing a uid would kill and starve each other's runs. Each rented uid is therefore reserved by an
/// exclusive lock on a file named after it (FileShare.None is an flock on Unix); the kernel drops the
/// lock if the process dies, so a crashed broker never leaks a reservation.
/// </summary>
internal sealed class RunUidPool(uint baseUid, uint count, string lockDirectory)
{
    private readonly Dictionary<uint, FileStream> _held = [];
    private readonly Lock _lock = new();

    public uint Rent()
    {
        lock (_lock)
        {
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("per-run uids exist only on Linux");
            }

            Directory.CreateDirectory(lockDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // A random start keeps concurrent brokers from probing the same uids in the same order.
            var start = (uint)Random.Shared.NextInt64(count);
            for (uint i = 0; i < count; i++)
            {
                var uid = baseUid + ((start + i) % count);
                if (_held.ContainsKey(uid))
                {
                    continue;
                }

                try
                {
                    var reservation = new FileStream(
                        Path.Combine(lockDirectory, uid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                        FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    _held[uid] = reservation;
                    return uid;
                }
                catch (IOException)
                {
                    // Held by another broker process.
                }
            }
        }

        throw new Abstractions.Sandbox.SandboxUnavailableException("every per-run sandbox uid is in use");
    }

    public void Return(uint uid)
    {
        lock (_lock)
        {
            if (_held.Remove(uid, out var reservation))
            {
                reservation.Dispose();
            }
        }
    }
}
