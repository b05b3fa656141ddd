using Carapace.Abstractions.Credentials;

namespace Carapace.Host.Credentials;

/// <summary>
/// Thrown on writes in env-only mode (no keychain, no <c>CARAPACE_CONFIG_PASSWORD</c>): Carapace never
/// falls back to a plaintext file. Code <c>credential_store_unavailable</c>.
/// </summary>
internal sealed class CredentialStoreUnavailableException : CredentialException
{
    public const string DefaultHint =
        "no OS keychain was found and CARAPACE_CONFIG_PASSWORD is not set. Start a Secret Service " +
        "(e.g. gnome-keyring) in this session, or set CARAPACE_CONFIG_PASSWORD to use the encrypted " +
        "credential file, or provide the value through the environment (CARAPACE_CREDENTIAL_<KEY>)";

    public CredentialStoreUnavailableException(string message, string? hint = DefaultHint, Exception? innerException = null)
        : base(CredentialErrorCodes.StoreUnavailable, message, hint, innerException)
    {
    }

    public CredentialStoreUnavailableException() : this("no writable credential store is available") { }

    public CredentialStoreUnavailableException(string message, Exception innerException)
        : this(message, DefaultHint, innerException) { }
}
