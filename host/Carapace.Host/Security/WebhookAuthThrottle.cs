namespace Carapace.Host.Security;

/// <summary>
/// Failed webhook authentications per client (<see cref="ClientAddress.AuthKey"/>), with the control API's
/// settings but a count of their own: a web page can make a browser send failing requests to a loopback
/// webhook, and those must not lock the local user out of <c>/control</c> (nor the other way round).
/// </summary>
internal sealed class WebhookAuthThrottle(AuthThrottleSettings settings, TimeProvider time)
{
    /// <summary>The audit <c>scope</c> of this count's lines.</summary>
    public const string Scope = "webhook";

    public AuthFailureThrottle Inner { get; } = new(settings, time);
}
