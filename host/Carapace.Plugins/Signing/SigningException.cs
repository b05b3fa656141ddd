namespace Carapace.Plugins.Signing;

/// <summary>A signing key could not be created or read; <see cref="Code"/> is one of <see cref="SigningErrorCodes"/>.</summary>
internal sealed class SigningException : Exception
{
    public SigningException(string code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    public SigningException() : this(SigningErrorCodes.KeyMalformed, "invalid signing key") { }

    public SigningException(string message) : this(SigningErrorCodes.KeyMalformed, message) { }

    public SigningException(string message, Exception innerException)
        : this(SigningErrorCodes.KeyMalformed, message, innerException) { }

    public string Code { get; }
}
