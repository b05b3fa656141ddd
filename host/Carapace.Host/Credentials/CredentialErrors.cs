using Carapace.Abstractions.Credentials;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Credentials;

/// <summary>Maps credential error codes to control-API status codes (used with <c>ControlProblem.Create</c>).</summary>
internal static class CredentialErrors
{
    public static int HttpStatus(string code) => code switch
    {
        CredentialErrorCodes.InvalidKey or CredentialErrorCodes.ValueTooLarge => StatusCodes.Status400BadRequest,
        CredentialErrorCodes.QuotaExceeded => StatusCodes.Status409Conflict,
        CredentialErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status503ServiceUnavailable,
    };

    public static CredentialException Locked(string what, Exception? inner = null) =>
        new(CredentialErrorCodes.StoreLocked, $"{what} is locked and unlocking it needs an interactive prompt",
            "unlock the keyring (log in to the desktop session, or run `gnome-keyring-daemon --unlock` with the " +
            "login password on stdin); Carapace does not show unlock prompts", inner);

    public static CredentialException Failure(string message, Exception? inner = null) =>
        new(CredentialErrorCodes.StoreError, message, null, inner);
}
