using System.Text;

namespace Carapace.Sandbox.Windows;

/// <summary>
/// The CREATE_UNICODE_ENVIRONMENT block: <c>NAME=value\0</c> per variable, sorted by name without regard
/// to case (as Windows keeps its own blocks), one name per case-insensitive spelling, then a final <c>\0</c>.
/// </summary>
internal static class WindowsEnvironmentBlock
{
    public static string Build(IEnumerable<KeyValuePair<string, string>> variables)
    {
        var unique = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in variables)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new InvalidSandboxRequestException($"environment variable '{name}' cannot be passed on Windows");
            }

            unique[name] = value; // the last spelling's value wins, as in a Windows environment
        }

        var sb = new StringBuilder();
        foreach (var (name, value) in unique)
        {
            sb.Append(name).Append('=').Append(value).Append('\0');
        }

        if (unique.Count == 0)
        {
            sb.Append('\0'); // an empty block is two NULs
        }

        return sb.Append('\0').ToString();
    }
}
