namespace Carapace.Abstractions.Credentials;

/// <summary>
/// A credential operation failed for a reason the caller can act on. <see cref="Code"/> is stable
/// (see <see cref="CredentialErrorCodes"/>); <see cref="Hint"/> says how to fix it. Messages never
/// contain secret values.
/// </summary>
public class CredentialException : Exception
{
    public CredentialException(string code, string message, string? hint = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Hint = hint;
    }

    public CredentialException() : this(CredentialErrorCodes.StoreError, "credential operation failed") { }

    public CredentialException(string message) : this(CredentialErrorCodes.StoreError, message) { }

    public CredentialException(string message, Exception innerException)
        : this(CredentialErrorCodes.StoreError, message, null, innerException) { }

    /// <summary>Stable machine-readable code, e.g. <c>credential_quota_exceeded</c>.</summary>
    public string Code { get; }

    /// <summary>What the operator (or plugin author) can do about it, when there is something.</summary>
    public string? Hint { get; }
}
