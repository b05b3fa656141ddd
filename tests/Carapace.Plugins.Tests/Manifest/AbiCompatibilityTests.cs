using Carapace.Abstractions;
using Carapace.Plugins.Manifest;

namespace Carapace.Plugins.Tests.Manifest;

public sealed class AbiCompatibilityTests
{
    [Theory]
    [InlineData(1, 0, 1, 0)]
    [InlineData(1, 0, 1, 3)]
    [InlineData(1, 2, 1, 3)]
    public void Same_major_and_not_newer_is_accepted(int major, int minor, int hostMajor, int hostMinor) =>
        Assert.Null(AbiCompatibility.Check(new Version(major, minor), new Version(hostMajor, hostMinor)));

    [Fact]
    public void Newer_minor_is_refused_with_a_clear_reason()
    {
        var reason = AbiCompatibility.Check(new Version(1, 4), new Version(1, 3));

        Assert.Equal("plugin targets ABI 1.4, newer than this host's ABI 1.3; upgrade Carapace or use a plugin version built for this ABI", reason);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(0, 9)]
    public void Different_major_is_refused(int major, int minor)
    {
        var reason = AbiCompatibility.Check(new Version(major, minor), new Version(1, 0));

        Assert.Contains("the major version must match", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_abi_is_the_abstractions_version() => Assert.Equal(new Version(CarapaceAbi.Major, CarapaceAbi.Minor), CarapaceAbi.Current);
}
