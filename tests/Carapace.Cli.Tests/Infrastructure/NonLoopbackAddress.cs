using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Carapace.Cli.Tests.Infrastructure;

/// <summary>An IPv4 address of this machine that is not loopback (what `cara` treats as a remote host).</summary>
internal static class NonLoopbackAddress
{
    public static IPAddress? Find() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)
                                 && !a.ToString().StartsWith("169.254.", StringComparison.Ordinal));
}

/// <summary>
/// A fact that needs a non-loopback interface to listen on; skipped (saying why) on a machine without
/// one. The client's decision itself is covered without a network by GatewayClientTests.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class NonLoopbackAddressFactAttribute : FactAttribute
{
    public NonLoopbackAddressFactAttribute()
    {
        if (NonLoopbackAddress.Find() is null)
        {
            Skip = "this machine has no non-loopback IPv4 address to listen on";
        }
    }
}
