using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests;

/// <summary>A fact that needs a Landlock ABI this kernel may not have; skipped, with the reason, when it is missing.</summary>
public sealed class LandlockAbiFactAttribute : FactAttribute
{
    public LandlockAbiFactAttribute(int minimumAbi)
    {
        var status = LandlockStatus.Probe();
        if (status.Abi < minimumAbi)
        {
            Skip = $"needs Landlock ABI >= {minimumAbi}; this kernel has {(status.Unavailable ?? "ABI " + status.Abi)}";
        }
    }
}
