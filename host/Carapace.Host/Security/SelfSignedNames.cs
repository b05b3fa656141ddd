using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Carapace.Host.Security;

/// <summary>
/// The names a self-signed gateway certificate must hold so that clients can verify it on every address
/// they may use: always <c>localhost</c>, 127.0.0.1 and ::1; a specific bind address; with
/// <c>gateway.bind: lan</c>/<c>all</c> (0.0.0.0 or ::) every unicast address of this machine's running
/// interfaces and its host name, since a LAN client connects to one of those; and every name in
/// <c>gateway.tls.hostNames</c> (DNS names or IP addresses, e.g. a router's port forward or a DNS alias).
/// IPv6 link-local addresses are left out: a certificate cannot name their scope.
/// </summary>
internal sealed record SelfSignedNames(IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> Addresses)
{
    public static SelfSignedNames For(IPAddress bindAddress, IReadOnlyList<string> configured) =>
        For(bindAddress, configured, InterfaceAddresses, Dns.GetHostName);

    public static SelfSignedNames For(IPAddress bindAddress, IReadOnlyList<string> configured,
        Func<IEnumerable<IPAddress>> interfaceAddresses, Func<string> hostName)
    {
        var dns = new List<string> { "localhost" };
        var addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (IsWildcard(bindAddress))
        {
            addresses.AddRange(interfaceAddresses().Where(a => !a.IsIPv6LinkLocal && !IPAddress.IsLoopback(a)));
            var host = SafeHostName(hostName);
            if (host is not null)
            {
                dns.Add(host);
            }
        }
        else if (!IPAddress.IsLoopback(bindAddress))
        {
            addresses.Add(bindAddress);
        }

        foreach (var name in configured)
        {
            if (IPAddress.TryParse(name, out var literal))
            {
                addresses.Add(literal);
            }
            else
            {
                dns.Add(name);
            }
        }

        return new SelfSignedNames(
            dns.Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
            addresses.Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a).Distinct().ToList());
    }

    public static bool IsWildcard(IPAddress bindAddress) => bindAddress.Equals(IPAddress.Any) || bindAddress.Equals(IPAddress.IPv6Any);

    /// <summary>Whether <paramref name="dnsNames"/> and <paramref name="addresses"/> (a certificate's SANs) include every name here.</summary>
    public bool AreCoveredBy(IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var dns = new HashSet<string>(dnsNames, StringComparer.OrdinalIgnoreCase);
        var ips = new HashSet<IPAddress>(addresses);
        return DnsNames.All(dns.Contains) && Addresses.All(ips.Contains);
    }

    private static IEnumerable<IPAddress> InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    // A host name that is not a valid DNS name (spaces, underscores on some systems) cannot go into a SAN.
    private static string? SafeHostName(Func<string> hostName)
    {
        try
        {
            var name = hostName().Trim().TrimEnd('.');
            return Uri.CheckHostName(name) == UriHostNameType.Dns ? name : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
