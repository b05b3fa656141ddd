using System.Net;

namespace Carapace.Host.Security;

/// <summary>
/// One audit line standing for many auth refusals of a client (see <see cref="AuthFailureThrottle"/>):
/// <c>auth_lockout_refused</c> for requests refused during a lockout (<see cref="From"/>/<see cref="To"/>: the
/// lockout), <c>auth_failures_suppressed</c> for credential-less failures past the per-window allowance
/// (<see cref="From"/>/<see cref="To"/>: first and last of them). <see cref="Client"/> is null for the sum over
/// clients evicted under memory pressure (<see cref="Clients"/> of them).
/// </summary>
internal sealed record AuthAuditSummary(
    AuthAuditSummary.Kind What,
    IPAddress? Client,
    long Count,
    DateTimeOffset? From,
    DateTimeOffset? To,
    TimeSpan Window,
    int Clients = 1)
{
    /// <summary>For a lockout: whether it was over when reported (false at shutdown, or when evicted).</summary>
    public bool Ended { get; init; } = true;

    internal enum Kind
    {
        RefusedWhileLockedOut,
        CredentiallessSuppressed,
    }
}
