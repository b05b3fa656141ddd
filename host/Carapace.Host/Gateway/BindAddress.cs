using System.Net;

namespace Carapace.Host.Gateway;

/// <summary>
/// Parses <c>gateway.bind</c> / <c>--bind</c>: <c>loopback</c> (default; aliases localhost, local),
/// <c>lan</c> / <c>all</c> (every interface; aliases 0.0.0.0, auto), or an IP address.
/// </summary>
internal static class BindAddress
{
    public static bool TryParse(string? text, out IPAddress address)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "loopback" or "localhost" or "local":
                address = IPAddress.Loopback;
                return true;
            case "lan" or "all" or "auto" or "0.0.0.0":
                address = IPAddress.Any;
                return true;
            case "::":
                address = IPAddress.IPv6Any;
                return true;
        }

        var literal = text.Trim().Trim('[', ']');
        if (IPAddress.TryParse(literal, out var parsed) && !literal.Contains('%', StringComparison.Ordinal))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }

    public const string Expected = "must be loopback, lan, all or an IP address";
}
