namespace Carapace.Host.Configuration;

/// <summary>One problem with the configuration, located as precisely as we know.</summary>
/// <param name="Key">Dotted key (e.g. <c>gateway.port</c>), or null for file-level problems.</param>
/// <param name="Message">What is wrong and, where possible, how to fix it.</param>
/// <param name="Source">File path, or <c>(built-in defaults)</c>.</param>
/// <param name="Line">1-based line, when known.</param>
/// <param name="Column">1-based column, when known.</param>
internal sealed record ConfigError(string? Key, string Message, string? Source = null, int? Line = null, int? Column = null)
{
    public override string ToString()
    {
        var location = Source is null ? string.Empty
            : Line is null ? $"{Source}: "
            : Column is null ? $"{Source}:{Line}: "
            : $"{Source}:{Line}:{Column}: ";
        var key = Key is null ? string.Empty : $"{Key}: ";
        return location + key + Message;
    }
}
