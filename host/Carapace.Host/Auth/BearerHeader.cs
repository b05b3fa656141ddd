using Microsoft.Extensions.Primitives;

namespace Carapace.Host.Auth;

/// <summary>
/// Extracts the credential from <c>Authorization: Bearer &lt;x&gt;</c>. As upstream: the prefix
/// <c>"Bearer "</c> is case-sensitive and the value is trimmed. Stricter than upstream: more than one
/// Authorization header is rejected rather than picking one.
/// </summary>
internal static class BearerHeader
{
    private const string Prefix = "Bearer ";

    public static BearerParse Parse(StringValues authorization)
    {
        if (authorization.Count == 0)
        {
            return new BearerParse(null, "missing credentials");
        }

        if (authorization.Count > 1)
        {
            return new BearerParse(null, "multiple Authorization headers");
        }

        var value = authorization[0];
        if (value is null || !value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return new BearerParse(null, "unsupported authorization scheme (expected 'Bearer ')");
        }

        var credential = value[Prefix.Length..].Trim();
        return credential.Length == 0
            ? new BearerParse(null, "empty bearer credential")
            : new BearerParse(credential, null);
    }
}

/// <summary>The presented credential, or why there is none.</summary>
internal readonly record struct BearerParse(string? Credential, string? Problem);
