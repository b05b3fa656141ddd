using System.Runtime.InteropServices;
using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Linux;

/// <summary>Landlock as the kernel reports it: the ABI number (0 when unusable) and the errata bitmask.</summary>
internal sealed record LandlockStatus(int Abi, int Errata, string? Unavailable)
{
    public static LandlockStatus Available(int abi, int errata = 0) => new(abi, errata, null);

    public static LandlockStatus Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new LandlockStatus(0, 0, "not Linux");
        }

        var abi = LinuxNative.Syscall(444, 0, 0, (nint)LandlockAbi.CreateRulesetVersion);
        if (abi < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var why = errno switch
            {
                38 => "Landlock is not built into this kernel (ENOSYS)",
                95 => "Landlock is disabled at boot (EOPNOTSUPP): add 'landlock' to the lsm= kernel parameter",
                _ => "landlock_create_ruleset(VERSION) failed: " + Marshal.GetPInvokeErrorMessage(errno),
            };
            return new LandlockStatus(0, 0, why);
        }

        var errata = LinuxNative.Syscall(444, 0, 0, (nint)LandlockAbi.CreateRulesetErrata);
        return new LandlockStatus((int)abi, errata < 0 ? 0 : (int)errata, null);
    }
}
