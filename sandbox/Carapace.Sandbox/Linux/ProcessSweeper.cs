using System.Globalization;

namespace Carapace.Sandbox.Linux;

/// <summary>
/// Kills every process whose real uid is a run's private uid. A process group kill misses children that
/// called setsid(); the per-run uid cannot be shed by an unprivileged child (no_new_privs, no caps).
/// </summary>
internal static class ProcessSweeper
{
    public static int KillAllWithUid(uint uid, TimeSpan deadline)
    {
        var stop = DateTime.UtcNow + deadline;
        var killed = 0;
        while (true)
        {
            var found = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(dir);
                if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || !int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }

                if (RealUid(pid) == uid)
                {
                    found++;
                    if (LinuxNative.Kill(pid, LinuxNative.SigKill) == 0)
                    {
                        killed++;
                    }
                }
            }

            if (found == 0 || DateTime.UtcNow > stop)
            {
                return killed;
            }

            Thread.Yield();
        }
    }

    /// <summary>True while a non-zombie process of the uid exists.</summary>
    public static bool AnyAlive(uint uid) =>
        Directory.EnumerateDirectories("/proc").Any(d =>
            int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && RealUid(pid) == uid && !IsZombie(pid));

    private static uint? RealUid(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return uint.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process went away while we looked.
        }

        return null;
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
