namespace Carapace.Host.Secrets;

/// <summary>
/// Decides which configuration values are secrets, for <c>config show</c>, the control API and logs.
/// A key is secret when its last segment names a secret (token, password, secret, apiKey, …) or its
/// value is an <c>enc:vN</c> envelope. Over-redacting (e.g. <c>maxTokens</c>) is accepted on purpose.
/// </summary>
internal static class ConfigSecretRedaction
{
    public const string Placeholder = "[REDACTED]"; // upstream's marker

    private static readonly string[] SecretSuffixes =
    [
        "token", "tokens", "password", "passwords", "passwd", "passphrase", "secret", "secrets",
        "apikey", "apikeys", "api_key", "api_keys", "api-key", "api-keys",
        "privatekey", "private_key", "private-key", "credential", "credentials", "cookie", "sessionkey", "session_key",
    ];

    /// <summary>Keys whose values are secret even if no suffix matches (set by the loader, e.g. decrypted keys).</summary>
    public static bool IsSecret(string key, string? value, ISet<string>? knownSecretKeys = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (ConfigSecretEnvelope.IsVersionedEnvelope(value) || (knownSecretKeys?.Contains(key) ?? false))
        {
            return true;
        }

        var lastSegment = key[(key.LastIndexOfAny([':', '.']) + 1)..].ToLowerInvariant();
        foreach (var suffix in SecretSuffixes)
        {
            if (lastSegment.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A copy with every secret value replaced by <see cref="Placeholder"/> (null stays null).</summary>
    public static IReadOnlyDictionary<string, string?> Redact(IEnumerable<KeyValuePair<string, string?>> values,
        ISet<string>? knownSecretKeys = null)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in values)
        {
            result[key] = value is not null && IsSecret(key, value, knownSecretKeys) ? Placeholder : value;
        }

        return result;
    }
}
