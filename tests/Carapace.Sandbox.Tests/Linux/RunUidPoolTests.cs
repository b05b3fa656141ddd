using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Linux;
using Carapace.Testing;

namespace Carapace.Sandbox.Tests.Linux;

/// <summary>Per-run uids are reserved machine-wide, so two brokers never share one.</summary>
public sealed class RunUidPoolTests
{
    [Fact]
    public void Two_pools_over_the_same_directory_never_hand_out_the_same_uid()
    {
        using var dir = new TempDirectory();
        var first = new RunUidPool(0x70000000, 1, dir.Path);
        var second = new RunUidPool(0x70000000, 1, dir.Path);

        var uid = first.Rent();

        Assert.Throws<SandboxUnavailableException>(() => second.Rent());
        first.Return(uid);
        Assert.Equal(uid, second.Rent());
    }

    [Fact]
    public void Concurrent_rents_across_pools_are_all_distinct()
    {
        using var dir = new TempDirectory();
        var pools = Enumerable.Range(0, 4).Select(_ => new RunUidPool(0x70000000, 64, dir.Path)).ToList();

        var uids = pools.AsParallel().SelectMany(p => Enumerable.Range(0, 16).Select(_ => p.Rent()).ToList()).ToList();

        Assert.Equal(64, uids.Distinct().Count());
    }
}
