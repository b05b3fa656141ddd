using System.Security.Cryptography;
using System.Text;

namespace Carapace.Channels.Webhook;

/// <summary>Checks a request's secret or signature header. Every comparison is constant-time.</summary>
internal static class WebhookAuthenticator
{
    public static bool IsAuthentic(WebhookEndpoint endpoint, IReadOnlyDictionary<string, string> headers, ReadOnlySpan<byte> body)
    {
        if (!headers.TryGetValue(endpoint.Header, out var value) || string.IsNullOrEmpty(value))
        {
            return false;
        }

        return endpoint.Auth == WebhookAuth.Hmac
            ? SignatureMatches(endpoint.Secret, value, body)
            : SecretMatches(endpoint.Secret, value);
    }

    /// <summary>Hashes both sides first so that the comparison does not leak the secret's length.</summary>
    private static bool SecretMatches(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)),
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    private static bool SignatureMatches(string secret, string header, ReadOnlySpan<byte> body)
    {
        var hex = header.Trim();
        if (hex.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase))
        {
            hex = hex[7..];
        }

        byte[] presented;
        try
        {
            presented = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }

    /// <summary>The header value a sender computes: <c>sha256=&lt;lower-case hex&gt;</c>.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
