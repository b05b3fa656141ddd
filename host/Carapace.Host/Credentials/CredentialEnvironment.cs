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

    /// <summary><c>gateway:token:default</c> → <c>CARAPACE_CREDENTIAL_GATEWAY_TOKEN_DEFAULT</c> (non-alphanumerics become '_').</summary>
    public static string VariableFor(string key)
    {
        var builder = new StringBuilder(CredentialVariablePrefix, CredentialVariablePrefix.Length + key.Length);
        foreach (var c in key)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        return builder.ToString();
    }
}
