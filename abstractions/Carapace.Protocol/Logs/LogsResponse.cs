namespace Carapace.Protocol.Logs;

/// <summary><c>GET /control/logs?n=N[&amp;after=SEQ]</c>: newest entries, oldest first.</summary>
/// <param name="Entries">The entries, oldest first.</param>
/// <param name="Truncated">Older entries than these exist in the buffer or were evicted.</param>
/// <param name="LastSequence">Sequence number of the newest entry in the buffer (for follow mode).</param>
public sealed record LogsResponse(IReadOnlyList<LogEntry> Entries, bool Truncated, long LastSequence);
