namespace Carapace.Abstractions.Http;

/// <summary>
/// The outbound guard refused or aborted a request. <see cref="Code"/> is one of
/// <see cref="OutboundErrorCodes"/> (e.g. <c>ssrf_blocked</c>, <c>invalid_url</c>, <c>response_too_large</c>,
/// <c>timeout</c>); the message names at most the scheme, host and port, never the path, query or credentials.
/// </summary>
public sealed class OutboundRequestRejectedException : Exception
{
    public OutboundRequestRejectedException(string code, string message) : base(message) => Code = code;

    public OutboundRequestRejectedException(string code, string message, Exception innerException)
        : base(message, innerException) => Code = code;

    public OutboundRequestRejectedException() : this("rejected", "outbound request rejected") { }

    public OutboundRequestRejectedException(string message) : this("rejected", message) { }

    public OutboundRequestRejectedException(string message, Exception innerException)
        : this("rejected", message, innerException) { }

    public string Code { get; }
}
