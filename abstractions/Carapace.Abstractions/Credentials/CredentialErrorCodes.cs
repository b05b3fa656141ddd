namespace Carapace.Abstractions.Credentials;

/// <summary>Stable codes carried by <see cref="CredentialException.Code"/>.</summary>
public static class CredentialErrorCodes
{
    /// <summary>The key is not <c>kind:scope:id</c> with the allowed characters, or longer than 64 characters.</summary>
    public const string InvalidKey = "invalid_credential_key";

    /// <summary>The value is larger than 64 KiB (UTF-8), or than the backend can hold.</summary>
    public const string ValueTooLarge = "credential_value_too_large";

    /// <summary>No writable store: no keychain and no <c>CARAPACE_CONFIG_PASSWORD</c> (env-only mode).</summary>
    public const string StoreUnavailable = "credential_store_unavailable";

    /// <summary>The keychain is locked and unlocking would need an interactive prompt.</summary>
    public const string StoreLocked = "credential_store_locked";

    /// <summary>The store did not answer within its timeout.</summary>
    public const string StoreTimeout = "credential_store_timeout";

    /// <summary>The encrypted store file is damaged or truncated; it is never silently reset.</summary>
    public const string StoreCorrupt = "credential_store_corrupt";

    /// <summary>The encrypted store cannot be opened with the configured password.</summary>
    public const string PasswordInvalid = "credential_password_invalid";

    /// <summary>Any other backend failure.</summary>
    public const string StoreError = "credential_store_error";

    /// <summary>The plugin already holds the maximum number of credentials (100).</summary>
    public const string QuotaExceeded = "credential_quota_exceeded";

    /// <summary>The plugin wrote more than 10 times in the last minute.</summary>
    public const string RateLimited = "credential_rate_limited";
}
