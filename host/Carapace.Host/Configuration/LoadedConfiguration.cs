using Microsoft.Extensions.Configuration;

namespace Carapace.Host.Configuration;

/// <summary>The effective configuration and where each value came from.</summary>
internal sealed class LoadedConfiguration(
    IConfigurationRoot configuration,
    IReadOnlyDictionary<string, ConfigValue> values,
    string? filePath,
    string? fileSha256,
    IReadOnlySet<string>? secretKeys = null)
{
    public IConfigurationRoot Configuration { get; } = configuration;

    /// <summary>Every leaf value after layering and substitution, keyed <c>section:key</c>.</summary>
    public IReadOnlyDictionary<string, ConfigValue> Values { get; } = values;

    /// <summary>The user file that was layered over the built-in defaults, or null.</summary>
    public string? FilePath { get; } = filePath;

    /// <summary>SHA-256 (hex) of the user file's bytes, or null.</summary>
    public string? FileSha256 { get; } = fileSha256;

    /// <summary>Keys whose values were decrypted from <c>enc:v2</c> envelopes: always redacted when shown.</summary>
    public ISet<string> SecretKeys { get; } = new HashSet<string>(secretKeys ?? new HashSet<string>(), StringComparer.OrdinalIgnoreCase);

    public string SourceDescription => FilePath ?? "(built-in defaults)";

    /// <summary>Where a key was set, for error messages.</summary>
    public ConfigValue? Locate(string key) => Values.GetValueOrDefault(key);
}
