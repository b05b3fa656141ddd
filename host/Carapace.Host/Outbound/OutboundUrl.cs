using System.Net;
using Carapace.Abstractions.Http;

namespace Carapace.Host.Outbound;

/// <summary>
/// The URL rules every outbound request and every redirect hop passes before a connection is attempted:
/// absolute http(s), at most 2048 characters, no userinfo, host not refused by name, and IP literals
/// (in any notation <see cref="Uri"/> accepts) checked against the address policy.
/// </summary>
internal static class OutboundUrl
{
    public const int MaxLength = 2048;

    public static Uri Parse(string url, AddressPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Length > MaxLength)
        {
            throw Invalid($"URL is longer than {MaxLength} characters");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw Invalid("URL is not a valid absolute URL");
        }

        return Validate(uri, policy);
    }

    public static Uri Validate(Uri uri, AddressPolicy policy)
    {
        if (!uri.IsAbsoluteUri)
        {
            throw Invalid("URL is not absolute");
        }

        if (uri.OriginalString.Length > MaxLength || uri.AbsoluteUri.Length > MaxLength)
        {
            throw Invalid($"URL is longer than {MaxLength} characters");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw Invalid($"scheme '{uri.Scheme}' is not allowed (only http and https)");
        }

        if (uri.UserInfo.Length > 0 || uri.OriginalString.Contains('@', StringComparison.Ordinal) && HasAuthorityAt(uri))
        {
            throw Invalid("URLs with credentials (userinfo) are not allowed");
        }

        if (string.IsNullOrEmpty(uri.IdnHost))
        {
            throw Invalid("URL has no host");
        }

        CheckHost(uri.IdnHost, uri, policy);
        return uri;
    }

    /// <summary>
    /// Name rules and, for IP literals, the address policy. Used for URLs and again for the host the
    /// connection layer is asked to reach.
    /// </summary>
    public static void CheckHost(string host, Uri? forMessage, AddressPolicy policy)
    {
        var display = forMessage is null ? "host" : UrlRedaction.Origin(forMessage);
        if (HostNamePolicy.BlockedReason(host) is { } nameReason)
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.SsrfBlocked, $"{display} is not allowed: {nameReason}");
        }

        if (TryParseLiteral(host, out var literal))
        {
            var verdict = policy.Evaluate(literal);
            if (!verdict.Allowed)
            {
                throw new OutboundRequestRejectedException(
                    OutboundErrorCodes.SsrfBlocked,
                    $"{display} is not allowed: {literal} is a non-public address ({verdict.Reason})");
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw Invalid("host is neither a name nor a valid IP address");
        }
    }

    /// <summary>
    /// Parses anything that is, or that the OS resolver would treat as, an IP literal: bracketed IPv6
    /// with or without a zone id (escaped <c>%25</c> or not), and IPv4 in the inet_aton notations
    /// (decimal, octal, hex, short forms). Such hosts are never sent to DNS.
    /// </summary>
    public static bool TryParseLiteral(string host, out IPAddress address)
    {
        var text = host;
        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            text = text[1..^1];
        }

        var percent = text.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0 && text.Contains(':', StringComparison.Ordinal))
        {
            text = text[..percent];
        }

        // Uri leaves a trailing dot on "127.0.0.1." (it calls that a DNS name); the resolver would not.
        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        if (text.Length > 0 && IPAddress.TryParse(text, out var parsed))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }

    private static bool HasAuthorityAt(Uri uri)
    {
        // Uri already splits userinfo off; this catches an empty userinfo ("http://@host/"), which
        // Uri reports as "" but which is still a credentials form we refuse.
        var original = uri.OriginalString;
        var start = original.IndexOf("//", StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        var authorityEnd = original.IndexOfAny(['/', '?', '#'], start + 2);
        var authority = authorityEnd < 0 ? original[(start + 2)..] : original[(start + 2)..authorityEnd];
        return authority.Contains('@', StringComparison.Ordinal);
    }

    private static OutboundRequestRejectedException Invalid(string message) =>
        new(OutboundErrorCodes.InvalidUrl, message);
}
