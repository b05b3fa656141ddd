namespace Carapace.Host.Secrets;

/// <summary>
/// A config secret could not be sealed or opened. <see cref="Code"/> is stable; the message names the
/// config key when one is known and never contains the plaintext.
/// </summary>
internal sealed class ConfigSecretException : Exception
{
    public const string UnsupportedVersion = "config_secret_unsupported_version";
    public const string Malformed = "config_secret_malformed";
    public const string DecryptFailed = "config_secret_decrypt_failed";
    public const string PasswordMissing = "config_secret_password_missing";

    public ConfigSecretException(string code, string message, string? configKey = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        ConfigKey = configKey;
    }

    public string Code { get; }

    public string? ConfigKey { get; }

    public ConfigSecretException WithKey(string configKey) =>
        new(Code, $"config key '{configKey}': {Message}", configKey, this);
}
