using System.Globalization;

namespace Carapace.Sandbox.Linux;

/// <summary>
/// Kills every process whose real uid is a run's private uid. A process group kill misses children that
/// called setsid(); the per-run uid cannot be shed by an unprivileged child (no_new_privs, no caps).
/// </summary>
internal static class ProcessSweeper
{
    public static int KillAllWithUid(uint uid, TimeSpan deadline) => Sweep(uid, deadline).Killed;

    /// <summary>
    /// Kills every process of the uid and reports whether none is left. A pass that finds none settles it
    /// (no second scan of /proc); only when the deadline passes with processes still listed (zombies
    /// waiting for their parent, or survivors) does a last scan decide, ignoring zombies.
    /// </summary>
    public static bool SweepUntilGone(uint uid, TimeSpan deadline)
    {
        var (_, gone) = Sweep(uid, deadline);
        return gone || !AnyAlive(uid);
    }

    /// <summary>
    /// One scan of /proc per pass for several uids at once (the batched post-run sweep). Returns the uids
    /// that still have live (non-zombie) processes when the deadline passes; empty when all are gone.
    /// </summary>
    public static IReadOnlySet<uint> SweepUntilGone(IReadOnlyCollection<uint> uids, TimeSpan deadline)
    {
        var wanted = new HashSet<uint>(uids);
        var stop = DateTime.UtcNow + deadline;
        while (true)
        {
            var found = new HashSet<uint>();
            foreach (var pid in Pids())
            {
                if (RealUid(pid) is { } uid && wanted.Contains(uid))
                {
                    found.Add(uid);
                    LinuxNative.Kill(pid, LinuxNative.SigKill);
                }
            }

            if (found.Count == 0)
            {
                return found;
            }

            if (DateTime.UtcNow > stop)
            {
                found.RemoveWhere(uid => !AnyAlive(uid));
                return found;
            }

            wanted = found; // only the uids still seen need another pass
            Thread.Yield();
        }
    }

    private static (int Killed, bool Gone) Sweep(uint uid, TimeSpan deadline)
    {
        var stop = DateTime.UtcNow + deadline;
        var killed = 0;
        while (true)
        {
            var found = 0;
            foreach (var pid in Pids())
            {
                if (RealUid(pid) == uid)
                {
                    found++;
                    if (LinuxNative.Kill(pid, LinuxNative.SigKill) == 0)
                    {
                        killed++;
                    }
                }
            }

            if (found == 0)
            {
                return (killed, true);
            }

            if (DateTime.UtcNow > stop)
            {
                return (killed, false);
            }

            Thread.Yield();
        }
    }

    private static IEnumerable<int> Pids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = dir.AsSpan(6); // past "/proc/"
            if (name.Length > 0 && char.IsAsciiDigit(name[0]) && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>True while a non-zombie process of the uid exists.</summary>
    public static bool AnyAlive(uint uid) => Pids().Any(pid => RealUid(pid) == uid && !IsZombie(pid));

    /// <summary>
    /// The real uid from the "Uid:" line of /proc/&lt;pid&gt;/status, read with one read(2) into a stack
    /// buffer (the line is within the first few hundred bytes; Name is escaped, so it cannot fake the line).
    /// A sweep reads this for every process on the machine after every run, so it must be cheap.
    /// </summary>
    internal static uint? RealUid(int pid)
    {
        Span<byte> buffer = stackalloc byte[1024];
        int n;
        try
        {
            using var handle = File.OpenHandle($"/proc/{pid}/status", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.None);
            n = RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process went away while we looked
        }

        var text = buffer[..n];
        var at = text.IndexOf("\nUid:\t"u8);
        if (at < 0)
        {
            return null;
        }

        var field = text[(at + 6)..];
        var end = field.IndexOfAny((byte)'\t', (byte)'\n');
        return end > 0 && uint.TryParse(field[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
