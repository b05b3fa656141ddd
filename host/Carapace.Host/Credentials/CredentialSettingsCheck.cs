using Carapace.Host.Configuration;

namespace Carapace.Host.Credentials;

/// <summary>
/// Start-time check of the <c>credentials</c> section (part of <see cref="ConfigValidation"/>): a known
/// backend name, timeouts in range, and no other keys. The last rule matters: credentials are never read
/// from <c>carapace.yaml</c> (docs/credentials.md, "Env-only mode"), so a key such as
/// <c>credentials.values</c> would otherwise be ignored silently while the operator believes it is in use.
/// </summary>
internal static class CredentialSettingsCheck
{
    private static readonly string[] Backends =
    [
        CredentialBackendNames.Auto, CredentialBackendNames.SecretService, CredentialBackendNames.EncryptedFile,
        CredentialBackendNames.EnvOnly, CredentialBackendNames.MacOsKeychain, CredentialBackendNames.WindowsCredentialManager,
    ];

    private static readonly HashSet<string> KnownKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "credentials:backend", "credentials:timeoutSeconds", "credentials:probeTimeoutMilliseconds",
        "credentials:tightenPermissions", "credentials:secretService:collection", "credentials:secretService:session",
    };

    public static void Check(SettingsReader reader)
    {
        var backend = reader.String("credentials:backend");
        if (backend is not null && !Backends.Contains(backend.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            reader.Fail("credentials:backend", $"must be one of {string.Join(", ", Backends)} (got '{backend}')");
        }

        reader.Int("credentials:timeoutSeconds", 10, 1, 300);
        reader.Int("credentials:probeTimeoutMilliseconds", 2000, 100, 30_000);
        reader.Bool("credentials:tightenPermissions", true);
        var session = reader.String("credentials:secretService:session");
        if (session is not null && session.Trim().ToLowerInvariant() is not ("dh" or "plain"))
        {
            reader.Fail("credentials:secretService:session", $"must be dh or plain (got '{session}')");
        }

        foreach (var key in reader.Config.Values.Keys
                     .Where(k => k.StartsWith("credentials:", StringComparison.OrdinalIgnoreCase) && !KnownKeys.Contains(k))
                     .Order(StringComparer.OrdinalIgnoreCase))
        {
            reader.Fail(key,
                "is not a credentials setting. Secrets are never read from carapace.yaml: store them with " +
                "`cara credentials set KEY`, or (env-only mode) export CARAPACE_CREDENTIAL_<KEY>");
        }
    }
}
