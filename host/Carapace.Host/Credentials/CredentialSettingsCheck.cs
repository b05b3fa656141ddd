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

    /// <summary>
    /// Why a forced backend cannot work on this OS, or null. The macOS and Windows backends are compiled
    /// everywhere, so without this check Linux accepted them and failed on first use with a native-library
    /// load error; the operator should hear about it at start (and from <c>cara config validate</c>).
    /// </summary>
    public static string? UnavailableReason(string backend) => backend.Trim().ToLowerInvariant() switch
    {
        CredentialBackendNames.MacOsKeychain when !OperatingSystem.IsMacOS() =>
            $"macos-keychain is only available on macOS (this is {RuntimeOs}); use auto, or secret-service, encrypted-file or env-only",
        CredentialBackendNames.WindowsCredentialManager when !OperatingSystem.IsWindows() =>
            $"windows-credential-manager is only available on Windows (this is {RuntimeOs}); use auto, or secret-service, encrypted-file or env-only",
        // macOS may run a D-Bus session (Homebrew), so only Windows, which has no Unix-socket session bus, is refused.
        CredentialBackendNames.SecretService when OperatingSystem.IsWindows() =>
            $"secret-service (D-Bus) is not available on Windows; use auto or windows-credential-manager",
        _ => null,
    };

    private static string RuntimeOs =>
        OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsWindows() ? "Windows"
            : System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    public static void Check(SettingsReader reader)
    {
        var backend = reader.String("credentials:backend");
        if (backend is not null && !Backends.Contains(backend.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            reader.Fail("credentials:backend", $"must be one of {string.Join(", ", Backends)} (got '{backend}')");
        }
        else if (backend is not null && UnavailableReason(backend) is { } reason)
        {
            reader.Fail("credentials:backend", reason);
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
