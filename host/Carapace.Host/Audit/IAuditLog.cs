namespace Carapace.Host.Audit;

/// <summary>
/// Append-only record of security-relevant events. <see cref="Write"/> never blocks a request and
/// never throws; events that cannot be written are counted and reported.
/// </summary>
internal interface IAuditLog
{
    /// <param name="eventName">snake_case name, e.g. <c>auth_failure</c>; see <see cref="AuditEvents"/>.</param>
    /// <param name="data">Flat, non-secret fields.</param>
    void Write(string eventName, IReadOnlyDictionary<string, object?> data);
}
