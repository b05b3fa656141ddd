namespace Carapace.Host.Secrets;

/// <summary>
/// Decrypts <c>enc:v2</c> values of a flat configuration (IConfiguration-style <c>a:b:c</c> keys) in
/// place. Called by the config loader after substitution and before binding: any other
/// <c>enc:vN</c> fails the load, and an envelope without a password fails naming the key.
/// </summary>
internal static class ConfigSecretDecryptor
{
    /// <returns>The keys whose values were decrypted (the loader marks them secret for redaction).</returns>
    /// <exception cref="ConfigSecretException">The first offending key is named in the message.</exception>
    public static IReadOnlyList<string> DecryptInPlace(IDictionary<string, string?> values, string? password)
    {
        ArgumentNullException.ThrowIfNull(values);
        var decrypted = new List<string>();
        foreach (var key in values.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList())
        {
            var value = values[key];
            if (!ConfigSecretEnvelope.IsVersionedEnvelope(value))
            {
                continue;
            }

            if (!ConfigSecretEnvelope.IsEnvelope(value))
            {
                throw new ConfigSecretException(ConfigSecretException.UnsupportedVersion,
                    $"config key '{key}' holds an unsupported secret envelope: only enc:v2 is supported", key);
            }

            if (string.IsNullOrEmpty(password))
            {
                throw new ConfigSecretException(ConfigSecretException.PasswordMissing,
                    $"config key '{key}' holds an enc:v2 secret but {ConfigSecretEnvelope.PasswordEnvironmentVariable} is not set", key);
            }

            try
            {
                values[key] = ConfigSecretEnvelope.Open(value!, password);
            }
            catch (ConfigSecretException ex)
            {
                throw ex.WithKey(key);
            }

            decrypted.Add(key);
        }

        return decrypted;
    }

    /// <summary>Reads the password from the process environment only (never from config).</summary>
    public static string? PasswordFromEnvironment(Func<string, string?>? getEnv = null)
    {
        var value = (getEnv ?? Environment.GetEnvironmentVariable)(ConfigSecretEnvelope.PasswordEnvironmentVariable);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
