using System.Text;

namespace Carapace.Host.Credentials;

/// <summary>The process environment, injectable so tests never mutate the real one.</summary>
internal sealed class CredentialEnvironment(Func<string, string?> getVariable)
{
    public const string ConfigPasswordVariable = "CARAPACE_CONFIG_PASSWORD";
    public const string CredentialVariablePrefix = "CARAPACE_CREDENTIAL_";

    public static CredentialEnvironment Process { get; } = new(Environment.GetEnvironmentVariable);

    /// <summary>The value, or null when unset or empty.</summary>
    public string? Get(string name)
    {
        var value = getVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public string? ConfigPassword => Get(ConfigPasswordVariable);

    /// <summary>
    /// The env-only variable for a validated key, e.g. <c>gateway:token:default</c> →
    /// <c>CARAPACE_CREDENTIAL_GATEWAY_TOKEN_DEFAULT</c>. The mapping must be injective: env-only mode
    /// reads plugin secrets from here, and if <c>plugin:weather-pro:key</c> and <c>plugin:weather:pro_key</c>
    /// shared a variable, one plugin would read the other's secret. So only a lower-case letter (upper-cased)
    /// or a digit stands for itself, the ':' separator is a single '_', and everything else is an escape of
    /// '__' and one character: an upper-case letter X is <c>__X</c>, '_' is <c>__0</c>, '-' is <c>__1</c>,
    /// '.' is <c>__2</c>. Decoding is unambiguous because segments are never empty: a run of one '_' is a
    /// separator, two start an escape, three are a separator followed by an escape (docs/credentials.md).
    /// </summary>
    public static string VariableFor(string key)
    {
        var builder = new StringBuilder(CredentialVariablePrefix, CredentialVariablePrefix.Length + key.Length * 2);
        foreach (var c in key)
        {
            switch (c)
            {
                case ':':
                    builder.Append('_');
                    break;
                case var lower when char.IsAsciiLetterLower(lower):
                    builder.Append(char.ToUpperInvariant(lower));
                    break;
                case var digit when char.IsAsciiDigit(digit):
                    builder.Append(digit);
                    break;
                case var upper when char.IsAsciiLetterUpper(upper):
                    builder.Append("__").Append(upper);
                    break;
                case '_':
                    builder.Append("__0");
                    break;
                case '-':
                    builder.Append("__1");
                    break;
                case '.':
                    builder.Append("__2");
                    break;
                default:
                    // CredentialKey admits no other character; a caller that skipped validation must not
                    // get a lossy name that might belong to another key.
                    throw new ArgumentException($"'{c}' cannot appear in a credential key", nameof(key));
            }
        }

        return builder.ToString();
    }
}
