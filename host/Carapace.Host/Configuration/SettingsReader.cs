using System.Globalization;

namespace Carapace.Host.Configuration;

/// <summary>
/// Reads typed settings out of a <see cref="LoadedConfiguration"/>, collecting every problem with the
/// key, file, line and column instead of stopping at the first. The configuration binder would throw
/// "Failed to convert configuration value at 'gateway:port'" without saying where; this does.
/// </summary>
internal sealed class SettingsReader(LoadedConfiguration config)
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    public LoadedConfiguration Config { get; } = config;

    public string? String(string key) => Config.Values.GetValueOrDefault(key)?.Value;

    public string String(string key, string fallback) =>
        String(key) is { Length: > 0 } value ? value : fallback;

    public int Int(string key, int fallback, int min, int max)
    {
        var raw = String(key);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            Fail(key, $"must be a whole number (got '{raw}')");
            return fallback;
        }

        if (value < min || value > max)
        {
            Fail(key, $"must be between {min} and {max} (got {value})");
            return fallback;
        }

        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        var raw = String(key);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        switch (raw.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on":
                return true;
            case "false" or "no" or "off":
                return false;
            default:
                Fail(key, $"must be true or false (got '{raw}')");
                return fallback;
        }
    }

    public IReadOnlyList<string> List(string key)
    {
        var prefix = key + ":";
        return Config.Values
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                         && int.TryParse(kv.Key.AsSpan(prefix.Length), out _)
                         && kv.Value.Value is not null)
            .OrderBy(kv => int.Parse(kv.Key.AsSpan(prefix.Length), CultureInfo.InvariantCulture))
            .Select(kv => kv.Value.Value!)
            .ToList();
    }

    /// <summary>
    /// Records a problem with <paramref name="key"/>, located where the key was set (for a section or a
    /// list, where its first value was set).
    /// </summary>
    public void Fail(string key, string message)
    {
        var at = Config.Locate(key) ?? Config.Values
            .Where(kv => kv.Key.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase))
            .Select(kv => kv.Value)
            .OrderBy(v => v.Line)
            .FirstOrDefault();
        _errors.Add(new ConfigError(key.Replace(':', '.'), message, at?.Source, at?.Line, at?.Column));
    }

    /// <summary>Records a problem that names no single key, located at the configuration file.</summary>
    public void FailUnlocated(string message) => _errors.Add(new ConfigError(null, message, Config.FilePath));

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
        {
            throw new ConfigurationException(_errors.ToList());
        }
    }
}
