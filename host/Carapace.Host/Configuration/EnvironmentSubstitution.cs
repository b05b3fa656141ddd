using System.Text;

namespace Carapace.Host.Configuration;

/// <summary>
/// Replaces <c>${NAME}</c> in configuration values with environment variables. A name is any POSIX
/// variable name, <c>[A-Za-z_][A-Za-z0-9_]*</c> (case-sensitive, as the environment is); <c>$${…}</c> is a
/// literal <c>${…}</c>. Everything else that starts with <c>${</c> is an error naming it, as is a missing
/// variable, never an empty string or a silent literal: in a security tool, a typo must not quietly drop
/// a secret or leave <c>${my-token}</c> as the token.
/// </summary>
internal static class EnvironmentSubstitution
{
    public static string? Apply(string key, ConfigValue value, Func<string, string?> getEnv, List<ConfigError> errors)
    {
        if (value.Value is null || !value.Value.Contains("${", StringComparison.Ordinal))
        {
            return value.Value;
        }

        var text = value.Value;
        var output = new StringBuilder(text.Length);
        var dotted = key.Replace(':', '.');
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '$')
            {
                output.Append(text[i++]);
                continue;
            }

            if (string.CompareOrdinal(text, i, "$${", 0, 3) == 0)
            {
                output.Append("${");
                i += 3;
                continue;
            }

            if (string.CompareOrdinal(text, i, "${", 0, 2) != 0)
            {
                output.Append(text[i++]);
                continue;
            }

            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                errors.Add(Error(dotted, value, $"has an unterminated '${{' (write $${{ for a literal ${{)"));
                return text;
            }

            var name = text[(i + 2)..close];
            if (!IsVariableName(name))
            {
                errors.Add(Error(dotted, value,
                    $"references '${{{name}}}', which is not a valid environment variable name " +
                    "(letters, digits and _, not starting with a digit); write $${ for a literal ${"));
            }
            else if (getEnv(name) is { } resolved)
            {
                output.Append(resolved);
            }
            else
            {
                errors.Add(Error(dotted, value, $"references ${{{name}}}, but environment variable {name} is not set"));
            }

            i = close + 1;
        }

        return output.ToString();
    }

    private static bool IsVariableName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static ConfigError Error(string key, ConfigValue value, string message) =>
        new(key, message, value.Source, value.Line, value.Column);
}
