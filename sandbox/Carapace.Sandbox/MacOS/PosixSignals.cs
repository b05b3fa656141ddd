using System.Runtime.InteropServices;

namespace Carapace.Sandbox.MacOS;

/// <summary>kill(2) through macOS's libc (the Linux backend binds libc.so.6 in <see cref="Linux.LinuxNative"/>).</summary>
internal static partial class PosixSignals
{
    private const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>SIGKILL to the process group led by <paramref name="pid"/>, then to the pid itself.</summary>
    public static void KillGroup(int pid)
    {
        _ = Kill(-pid, SigKill);
        _ = Kill(pid, SigKill);
    }
}
