using System.Text;
using System.Text.RegularExpressions;

namespace Carapace.Host.Configuration;

/// <summary>
/// Replaces <c>${NAME}</c> in configuration values with environment variables. Names follow
/// <c>[A-Z_][A-Z0-9_]*</c>; <c>$${NAME}</c> is a literal <c>${NAME}</c>. A missing variable is an error
/// naming the variable and the key, never an empty string, so a typo cannot silently drop a secret.
/// </summary>
internal static partial class EnvironmentSubstitution
{
    public static string? Apply(string key, ConfigValue value, Func<string, string?> getEnv, List<ConfigError> errors)
    {
        if (value.Value is null || !value.Value.Contains("${", StringComparison.Ordinal))
        {
            return value.Value;
        }

        var text = value.Value;
        var output = new StringBuilder(text.Length);
        var index = 0;
        foreach (Match match in Reference().Matches(text))
        {
            output.Append(text, index, match.Index - index);
            index = match.Index + match.Length;
            if (match.Groups["escape"].Success)
            {
                output.Append(match.Value, 1, match.Length - 1);
                continue;
            }

            var name = match.Groups["name"].Value;
            var resolved = getEnv(name);
            if (resolved is null)
            {
                errors.Add(new ConfigError(
                    key.Replace(':', '.'), $"references ${{{name}}}, but environment variable {name} is not set",
                    value.Source, value.Line, value.Column));
                continue;
            }

            output.Append(resolved);
        }

        output.Append(text, index, text.Length - index);
        return output.ToString();
    }

    [GeneratedRegex(@"(?<escape>\$)?\$\{(?<name>[A-Z_][A-Z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
