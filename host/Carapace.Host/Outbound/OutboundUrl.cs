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

        if (uri.UserInfo.Length > 0 || HasAuthorityAt(uri))
        {
            throw Invalid("URLs with credentials (userinfo) are not allowed");
        }

        if (string.IsNullOrEmpty(uri.IdnHost))
        {
            throw Invalid("URL has no host");
        }

        if (HasCompatibilityCharacters(uri.Host))
        {
            throw Invalid("host contains compatibility characters (fullwidth, circled, mathematical, ...) that IDNA2008 disallows");
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

    /// <summary>
    /// Characters whose compatibility decomposition is ASCII ("ｌｏｃａｌｈｏｓｔ", "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ", "１２７.０.０.１").
    /// With ICU, Uri maps them (UTS #46) to the ASCII they imitate; under InvariantGlobalization it does
    /// not, and they would reach DNS as punycode. Either way the name no longer means what it shows, and
    /// IDNA2008 disallows all of them, so they are refused outright. A hand-written range list because
    /// string normalisation is a no-op under InvariantGlobalization.
    /// </summary>
    internal static bool HasCompatibilityCharacters(string host)
    {
        foreach (var rune in host.EnumerateRunes())
        {
            var c = rune.Value;
            if (c is >= 0xFF00 and <= 0xFFEF // halfwidth and fullwidth forms
                or >= 0x2460 and <= 0x24FF // enclosed alphanumerics
                or >= 0x1F100 and <= 0x1F1FF // enclosed alphanumeric supplement
                or >= 0x1D400 and <= 0x1D7FF // mathematical alphanumerics
                or >= 0x2100 and <= 0x218F // letterlike symbols, number forms
                or >= 0x2070 and <= 0x209F // superscripts and subscripts
                or 0x00AA or 0x00B2 or 0x00B3 or 0x00B9 or 0x00BA // ordinal indicators, superscript digits
                or 0x3002 or 0xFE52 // ideographic and small full stops
                or >= 0x3200 and <= 0x33FF) // enclosed CJK letters, CJK compatibility
            {
                return true;
            }
        }

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
