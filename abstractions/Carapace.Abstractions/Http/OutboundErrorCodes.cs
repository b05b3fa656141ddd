namespace Carapace.Abstractions.Http;

/// <summary>
/// Stable values of <see cref="OutboundRequestRejectedException.Code"/>. Plugins may branch on them;
/// they never change meaning.
/// </summary>
public static class OutboundErrorCodes
{
    /// <summary>The host name or one of its resolved addresses is not public (SSRF guard).</summary>
    public const string SsrfBlocked = "ssrf_blocked";

    /// <summary>The URL is malformed, too long, not http(s), or carries userinfo.</summary>
    public const string InvalidUrl = "invalid_url";

    /// <summary>The method or a header is not allowed.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>The request body exceeds the cap.</summary>
    public const string RequestTooLarge = "request_too_large";

    /// <summary>The response body exceeds the cap (by Content-Length or while streaming).</summary>
    public const string ResponseTooLarge = "response_too_large";

    /// <summary>The per-request timeout elapsed.</summary>
    public const string Timeout = "timeout";

    /// <summary>A redirect was refused (https→http downgrade, missing or invalid Location).</summary>
    public const string RedirectRefused = "redirect_refused";

    /// <summary>More redirects than the limit (5).</summary>
    public const string TooManyRedirects = "too_many_redirects";

    /// <summary>The host name could not be resolved.</summary>
    public const string ResolveFailed = "resolve_failed";

    /// <summary>The connection or the exchange failed (refused, reset, TLS, protocol error).</summary>
    public const string RequestFailed = "request_failed";
}
