using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec.Tests;

public sealed class LandlockAbiTests
{
    [Theory]
    [InlineData(1, 0x1FFFUL)]
    [InlineData(2, 0x3FFFUL)]
    [InlineData(3, 0x7FFFUL)]
    [InlineData(4, 0x7FFFUL)]
    [InlineData(5, 0xFFFFUL)]
    [InlineData(7, 0xFFFFUL)]
    [InlineData(9, 0x1FFFFUL)]
    public void Every_filesystem_right_the_abi_knows_is_handled(int abi, ulong mask) => Assert.Equal(mask, LandlockAbi.FsMask(abi));

    [Fact]
    public void Truncate_is_handled_from_abi_3()
    {
        Assert.Equal(0UL, LandlockAbi.FsMask(2) & LandlockAbi.Truncate);
        Assert.NotEqual(0UL, LandlockAbi.FsMask(3) & LandlockAbi.Truncate);
    }

    [Fact]
    public void Network_and_scopes_follow_the_abi()
    {
        Assert.Equal(0UL, LandlockAbi.NetMask(3));
        Assert.Equal(3UL, LandlockAbi.NetMask(4));
        Assert.Equal(0UL, LandlockAbi.ScopeMask(5));
        Assert.Equal(3UL, LandlockAbi.ScopeMask(6));
    }
}

public sealed class LandlockAbiDecisionTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void A_nonsensical_kernel_abi_fails_closed(long reported)
    {
        var decision = LandlockAbi.Decide(reported);

        Assert.Equal(0, decision.EffectiveAbi);
        Assert.Equal($"the kernel reported Landlock ABI {reported}, which is not a valid ABI (< 1)", decision.Refusal);
    }

    [Theory]
    [InlineData(1L, 1)]
    [InlineData(4L, 4)]
    [InlineData(7L, 7)]
    [InlineData(9L, 9)]
    public void A_known_abi_is_used_as_it_is(long reported, int effective)
    {
        var decision = LandlockAbi.Decide(reported);

        Assert.Null(decision.Refusal);
        Assert.Equal(effective, decision.EffectiveAbi);
        Assert.False(decision.KernelIsNewer);
    }

    [Theory]
    [InlineData(10L)]
    [InlineData(12L)]
    [InlineData(1L << 40)]
    public void A_newer_kernel_gets_every_right_of_the_highest_known_abi(long reported)
    {
        var decision = LandlockAbi.Decide(reported);

        Assert.Null(decision.Refusal);
        Assert.Equal(LandlockAbi.KnownAbi, decision.EffectiveAbi);
        Assert.True(decision.KernelIsNewer);
        Assert.Equal(0x1FFFFUL, LandlockAbi.FsMask(decision.EffectiveAbi)); // through RESOLVE_UNIX
        Assert.Equal(3UL, LandlockAbi.NetMask(decision.EffectiveAbi));
        Assert.Equal(3UL, LandlockAbi.ScopeMask(decision.EffectiveAbi));
    }
}
