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
