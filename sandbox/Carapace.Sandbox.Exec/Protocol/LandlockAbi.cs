namespace Carapace.Sandbox.Exec.Protocol;

/// <summary>Landlock UAPI constants (include/uapi/linux/landlock.h), shared by launcher and broker.</summary>
internal static class LandlockAbi
{
    public const ulong Execute = 1UL << 0;
    public const ulong WriteFile = 1UL << 1;
    public const ulong ReadFile = 1UL << 2;
    public const ulong ReadDir = 1UL << 3;
    public const ulong RemoveDir = 1UL << 4;
    public const ulong RemoveFile = 1UL << 5;
    public const ulong MakeChar = 1UL << 6;
    public const ulong MakeDir = 1UL << 7;
    public const ulong MakeReg = 1UL << 8;
    public const ulong MakeSock = 1UL << 9;
    public const ulong MakeFifo = 1UL << 10;
    public const ulong MakeBlock = 1UL << 11;
    public const ulong MakeSym = 1UL << 12;
    public const ulong Refer = 1UL << 13;     // ABI 2
    public const ulong Truncate = 1UL << 14;  // ABI 3
    public const ulong IoctlDev = 1UL << 15;  // ABI 5
    public const ulong ResolveUnix = 1UL << 16; // ABI 9

    public const ulong NetBindTcp = 1UL << 0;   // ABI 4
    public const ulong NetConnectTcp = 1UL << 1;

    public const ulong ScopeAbstractUnixSocket = 1UL << 0; // ABI 6
    public const ulong ScopeSignal = 1UL << 1;

    public const int RuleTypePathBeneath = 1;
    public const int RuleTypeNetPort = 2;

    public const uint CreateRulesetVersion = 1;
    public const uint CreateRulesetErrata = 2;

    /// <summary>Rights that may be granted on a non-directory (anything else gives EINVAL).</summary>
    public const ulong FileOnlyRights = Execute | WriteFile | ReadFile | Truncate | IoctlDev;

    /// <summary>
    /// The newest ABI whose rights this code knows (9: RESOLVE_UNIX). A newer kernel is used at this ABI:
    /// every right known here is handled (the kernel accepts older rulesets), rights added later are not.
    /// </summary>
    public const int KnownAbi = 9;

    /// <summary>
    /// The one decision about the kernel's ABI, made identically by the broker and the launcher: a
    /// nonsensical answer (&lt; 1) fails closed; otherwise the ruleset is built for min(kernel, known).
    /// </summary>
    public static LandlockAbiDecision Decide(long kernelAbi)
    {
        if (kernelAbi < 1)
        {
            return new LandlockAbiDecision((int)Math.Clamp(kernelAbi, int.MinValue, int.MaxValue), 0,
                $"the kernel reported Landlock ABI {kernelAbi}, which is not a valid ABI (< 1)");
        }

        var kernel = (int)Math.Min(kernelAbi, int.MaxValue);
        return new LandlockAbiDecision(kernel, Math.Min(kernel, KnownAbi), null);
    }

    /// <summary>Every filesystem right the given ABI knows (newer ABIs: everything this code knows).</summary>
    public static ulong FsMask(int abi) => abi switch
    {
        <= 0 => 0,
        1 => 0x1FFF,
        2 => 0x3FFF,
        3 or 4 => 0x7FFF,
        5 or 6 or 7 or 8 => 0xFFFF,
        _ => 0x1FFFF,
    };

    public static ulong NetMask(int abi) => abi >= 4 ? NetBindTcp | NetConnectTcp : 0;

    public static ulong ScopeMask(int abi) => abi >= 6 ? ScopeAbstractUnixSocket | ScopeSignal : 0;

    /// <summary>The minimum ABI that can enforce any network restriction.</summary>
    public const int MinAbiForNetwork = 4;
}

/// <summary>The kernel's ABI, the ABI the ruleset is built for, and why Landlock cannot be used (null when it can).</summary>
internal readonly record struct LandlockAbiDecision(int KernelAbi, int EffectiveAbi, string? Refusal)
{
    /// <summary>The kernel is newer than this code: rights it added after <see cref="LandlockAbi.KnownAbi"/> are not handled.</summary>
    public bool KernelIsNewer => KernelAbi > LandlockAbi.KnownAbi;
}
