namespace Carapace.Host.Configuration;

/// <summary>A flattened configuration value with the place it came from.</summary>
internal sealed record ConfigValue(string? Value, string Source, int Line, int Column);
