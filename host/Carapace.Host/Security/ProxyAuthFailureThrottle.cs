namespace Carapace.Host.Security;

/// <summary>
/// Failed credentials counted per trusted proxy, on top of the per-client count of
/// <see cref="AuthFailureThrottle"/>. Behind a trusted proxy the client is whatever the last untrusted
/// <c>X-Forwarded-For</c> hop says; a client allowed to write that header (a proxy that appends rather than
/// replaces) could name a new client per guess and never be locked out. So every forwarded failure also
/// counts against the proxy it came through, with an allowance of <see cref="Factor"/> times the per-client
/// one (many real users share a proxy, and one of them guessing should not lock out the rest at once).
/// Past it, every forwarded request through that proxy is refused for the lockout. Direct requests from
/// the proxy's own address are not affected by this count.
/// </summary>
internal sealed class ProxyAuthFailureThrottle(AuthThrottleSettings settings, TimeProvider time)
{
    public const int Factor = 10;

    /// <summary>The audit <c>scope</c> of this count's lines.</summary>
    public const string Scope = "proxy";

    public AuthFailureThrottle Inner { get; } = new(settings with { MaxFailures = settings.MaxFailures * Factor }, time);
}
