namespace Carapace.Protocol.Logs;

/// <summary>One log event from the gateway's in-memory ring buffer.</summary>
public sealed record LogEntry(long Sequence, DateTimeOffset Timestamp, string Level, string Source, string Message, string? Exception);
