namespace Carapace.Sandbox.Linux;

/// <summary>
/// The kernel's Landlock errata bitmask (<c>landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_ERRATA)</c>):
/// bit N-1 set means erratum N is fixed in the running kernel. None of them changes which rights Carapace
/// handles, so they are reported, not acted on (docs/sandbox.md, "Landlock ABI and errata"):
/// <list type="bullet">
/// <item>1 (ABI 4): TCP rights no longer apply to other stream protocols (MPTCP, SCTP, SMC). With the fix
/// those protocols escape Landlock's port rules, which is why the seccomp filter allows only protocol 0/TCP
/// stream sockets in <c>ports</c> mode.</item>
/// <item>2 (ABI 6): signal scoping no longer blocks signals between threads of one process. Only a relaxation;
/// the launcher restricts its one exec'ing thread, so every thread of the child shares one domain anyway.</item>
/// <item>3 (ABI 1): rename/link through a disconnected directory (moved out of a bind mount) could widen rights.
/// A kernel bug user space cannot work around; a kernel without the fix is reported as such.</item>
/// </list>
/// </summary>
internal static class LandlockErrata
{
    private static readonly (int Number, int SinceAbi, string Missing)[] Known =
    [
        (1, 4, "TCP rights also restrict MPTCP/SCTP/SMC (stricter only)"),
        (2, 6, "signal scoping also blocks signals between threads of one process (stricter only)"),
        (3, 1, "rename/link through a disconnected directory can widen rights (kernel bug, no user-space fix)"),
    ];

    public static bool IsFixed(int errata, int number) => (errata & (1 << (number - 1))) != 0;

    /// <summary>One line for the status: the bitmask and which errata that apply to this ABI are missing.</summary>
    public static string? Describe(int kernelAbi, int errata)
    {
        if (kernelAbi < 1)
        {
            return null;
        }

        var missing = Known.Where(e => kernelAbi >= e.SinceAbi && !IsFixed(errata, e.Number))
            .Select(e => $"erratum {e.Number} not fixed: {e.Missing}")
            .ToList();
        return $"landlock-errata 0x{errata:x}: " + (missing.Count == 0 ? "every known erratum for this ABI is fixed" : string.Join("; ", missing));
    }
}
