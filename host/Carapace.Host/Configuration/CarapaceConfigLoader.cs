using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Carapace.Host.Secrets;
using Microsoft.Extensions.Configuration;

namespace Carapace.Host.Configuration;

/// <summary>
/// Loads the effective configuration: the embedded <c>carapace.default.yaml</c>, with the user's
/// <c>carapace.yaml</c> layered on top, then <c>${VAR}</c> substitution. Every problem is collected
/// and reported together with file, line and column.
/// </summary>
internal static class CarapaceConfigLoader
{
    public const string DefaultsSource = "(built-in defaults)";

    private static readonly string[] KnownSections =
        ["gateway", "logging", "plugins", "channels", "tools", "sandbox", "network", "credentials", "audit"];

    /// <param name="location">Where the user file is (or would be).</param>
    /// <param name="getEnv">Environment lookup for <c>${VAR}</c> and <c>CARAPACE_CONFIG_PASSWORD</c>.</param>
    /// <param name="decryptSecrets">Open <c>enc:v2</c> values (needs the password); false leaves them sealed,
    /// which is enough for commands that only show redacted values.</param>
    public static LoadedConfiguration Load(ConfigLocation location, Func<string, string?> getEnv, bool decryptSecrets = true)
    {
        string? text = null;
        string? sha = null;
        if (File.Exists(location.Path))
        {
            var bytes = ReadCapped(location.Path);
            sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            text = DecodeUtf8(bytes, location.Path);
        }
        else if (location.Explicit)
        {
            throw new ConfigurationException(new ConfigError(
                null, $"configuration file not found (named by {location.Reason})", location.Path));
        }

        return LoadFromText(text, text is null ? null : location.Path, sha, getEnv, decryptSecrets);
    }

    /// <summary>Loads from YAML text layered on the defaults; <paramref name="userYaml"/> null means defaults only.</summary>
    public static LoadedConfiguration LoadFromText(string? userYaml, string? source, string? sha, Func<string, string?> getEnv,
        bool decryptSecrets = true)
    {
        var defaults = YamlFlattener.Flatten(ReadDefaults(), DefaultsSource);
        var merged = new Dictionary<string, ConfigValue>(defaults.Values, StringComparer.OrdinalIgnoreCase);
        var warnings = new List<ConfigError>();
        if (userYaml is not null)
        {
            var user = YamlFlattener.Flatten(userYaml, source ?? "carapace.yaml");
            ReplaceOverriddenLists(merged, user);
            foreach (var (key, value) in user.Values)
            {
                merged[key] = value;
            }
        }

        var errors = new List<ConfigError>();
        var resolved = new Dictionary<string, ConfigValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in merged)
        {
            resolved[key] = value with { Value = EnvironmentSubstitution.Apply(key, value, getEnv, errors) };
        }

        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }

        var secretKeys = decryptSecrets ? DecryptSecrets(resolved, getEnv) : new HashSet<string>();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(resolved.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value.Value)))
            .Build();
        return new LoadedConfiguration(configuration, resolved, source, sha, secretKeys);
    }

    private static HashSet<string> DecryptSecrets(Dictionary<string, ConfigValue> resolved, Func<string, string?> getEnv)
    {
        var plain = resolved.ToDictionary(kv => kv.Key, kv => kv.Value.Value, StringComparer.OrdinalIgnoreCase);
        try
        {
            var decrypted = ConfigSecretDecryptor.DecryptInPlace(plain, ConfigSecretDecryptor.PasswordFromEnvironment(getEnv));
            foreach (var key in decrypted)
            {
                resolved[key] = resolved[key] with { Value = plain[key] };
            }

            return new HashSet<string>(decrypted, StringComparer.OrdinalIgnoreCase);
        }
        catch (ConfigSecretException ex)
        {
            var at = ex.ConfigKey is null ? null : resolved.GetValueOrDefault(ex.ConfigKey);
            throw new ConfigurationException(new ConfigError(ex.ConfigKey?.Replace(':', '.'), ex.Message, at?.Source, at?.Line, at?.Column));
        }
    }

    /// <summary>Top-level sections that Carapace does not know: likely typos, reported as warnings.</summary>
    public static IEnumerable<ConfigError> UnknownSections(LoadedConfiguration config) =>
        config.Values
            .Where(kv => kv.Value.Source != DefaultsSource)
            .GroupBy(kv => kv.Key.Split(':')[0], StringComparer.OrdinalIgnoreCase)
            .Where(g => !KnownSections.Contains(g.Key, StringComparer.OrdinalIgnoreCase))
            .Select(g =>
            {
                var first = g.OrderBy(kv => kv.Value.Line).First().Value;
                return new ConfigError(g.Key, "unknown section (ignored)", first.Source, first.Line, first.Column);
            });

    // A list in the user file replaces the default list instead of merging index by index,
    // which is what IConfiguration layering would otherwise do.
    private static void ReplaceOverriddenLists(Dictionary<string, ConfigValue> merged, FlatYaml user)
    {
        foreach (var container in user.Containers)
        {
            var prefix = container + ":";
            foreach (var key in merged.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                                                     && IsIndex(k.AsSpan(prefix.Length))).ToList())
            {
                merged.Remove(key);
            }
        }
    }

    private static bool IsIndex(ReadOnlySpan<char> rest)
    {
        var end = rest.IndexOf(':');
        var segment = end < 0 ? rest : rest[..end];
        return segment.Length > 0 && int.TryParse(segment, out _);
    }

    private static byte[] ReadCapped(string path)
    {
        try
        {
            return Carapace.Storage.CappedFile.ReadAllBytes(path, YamlFlattener.MaxBytes)
                ?? throw new ConfigurationException(new ConfigError(
                    null, $"configuration file is larger than {YamlFlattener.MaxBytes / (1024 * 1024)} MiB", path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(new ConfigError(null, $"cannot read configuration file: {ex.Message}", path));
        }
    }

    private static string DecodeUtf8(byte[] bytes, string path)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ConfigurationException(new ConfigError(null, "configuration file is not valid UTF-8", path));
        }
    }

    internal static string ReadDefaults()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("carapace.default.yaml")
            ?? throw new InvalidOperationException("embedded carapace.default.yaml is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
