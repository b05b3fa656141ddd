using System.Text.RegularExpressions;

namespace Carapace.Host.Configuration;

/// <summary>
/// Decides which configuration values are secrets and must never be shown: any key whose last
/// segment names a secret (token, password, secret, apiKey, privateKey, passphrase, …) and any value that is an
/// <c>enc:</c> envelope. Used by <c>GET /control/config</c>, <c>cara config show|get</c> and logs.
/// </summary>
internal static partial class ConfigRedactor
{
    public const string Redacted = "[REDACTED]";

    public static bool IsSecretKey(string key)
    {
        var last = key.Split(':', '.')[^1];
        return SecretName().IsMatch(last);
    }

    public static bool IsSecretValue(string? value) =>
        value is not null && value.StartsWith("enc:", StringComparison.Ordinal);

    public static string? Redact(string key, string? value) =>
        value is not null && (IsSecretKey(key) || IsSecretValue(value)) ? Redacted : value;

    [GeneratedRegex("(token|password|passwd|secret|apikey|api_key|privatekey|private_key|passphrase|credential|signingkey)s?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
