namespace Carapace.Host.Credentials;

/// <summary>The <c>credentials</c> section of <c>carapace.yaml</c> (camelCase keys).</summary>
internal sealed class CredentialOptions
{
    public const string SectionName = "credentials";

    /// <summary><c>auto</c> (default) | <c>secret-service</c> | <c>encrypted-file</c> | <c>env-only</c> | <c>macos-keychain</c> | <c>windows-credential-manager</c>.</summary>
    public string Backend { get; set; } = CredentialBackendNames.Auto;

    /// <summary>Per-operation timeout (reads, writes, deletes), in seconds.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How long the start-up probe waits for a Secret Service on the session bus.</summary>
    public int ProbeTimeoutMilliseconds { get; set; } = 2000;

    /// <summary>When true (default), group/other permissions in the state dir are removed at start; else start is refused.</summary>
    public bool TightenPermissions { get; set; } = true;

    public SecretServiceOptions SecretService { get; set; } = new();

    internal TimeSpan Timeout => TimeSpan.FromSeconds(Math.Clamp(TimeoutSeconds, 1, 300));

    internal TimeSpan ProbeTimeout => TimeSpan.FromMilliseconds(Math.Clamp(ProbeTimeoutMilliseconds, 100, 30_000));
}

internal sealed class SecretServiceOptions
{
    /// <summary>Collection alias (<c>default</c> is the login keyring) or a collection object path.</summary>
    public string Collection { get; set; } = "default";

    /// <summary>
    /// <c>dh</c> (default: dh-ietf1024-sha256-aes128-cbc-pkcs7 only; a service that refuses it is an error, never a
    /// quiet downgrade) or <c>plain</c> (secrets unencrypted on the session bus, only when chosen here).
    /// </summary>
    public string Session { get; set; } = "dh";
}
