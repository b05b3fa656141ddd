using Carapace.Protocol.Logs;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Carapace.Host.Logging;

/// <summary>
/// Keeps the newest N log events in memory for <c>GET /control/logs</c> and <c>cara logs</c>.
/// Entries are rendered once on write so the buffer holds no references to logged objects
/// (which could otherwise be plugin types and pin a plugin's load context).
/// </summary>
internal sealed class LogRingBuffer : ILogEventSink
{
    public const int DefaultCapacity = 1000;
    public const int MaxCapacity = 100_000;

    // ":l" prints strings without quotes, ":j" renders structured values as JSON.
    private static readonly MessageTemplateTextFormatter MessageFormatter = new("{Message:lj}", System.Globalization.CultureInfo.InvariantCulture);

    private readonly LogEntry[] _entries;
    private readonly Lock _gate = new();
    private long _nextSequence = 1;

    public LogRingBuffer(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        _entries = new LogEntry[capacity];
    }

    public int Capacity => _entries.Length;

    public void Emit(LogEvent logEvent)
    {
        var source = logEvent.Properties.TryGetValue("SourceContext", out var ctx) && ctx is ScalarValue { Value: string s }
            ? s
            : "carapace";
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        MessageFormatter.Format(logEvent, writer);
        var message = writer.ToString();
        var exception = logEvent.Exception is null ? null : $"{logEvent.Exception.GetType().FullName}: {logEvent.Exception.Message}";
        lock (_gate)
        {
            var sequence = _nextSequence++;
            _entries[(int)(sequence % _entries.Length)] =
                new LogEntry(sequence, logEvent.Timestamp, logEvent.Level.ToString(), source, message, exception);
        }
    }

    /// <summary>The newest <paramref name="count"/> entries with sequence &gt; <paramref name="after"/>, oldest first.</summary>
    public LogsResponse Snapshot(int count, long after = 0)
    {
        lock (_gate)
        {
            var last = _nextSequence - 1;
            var oldestKept = Math.Max(1, last - _entries.Length + 1);
            var from = Math.Max(Math.Max(oldestKept, after + 1), last - count + 1);
            var result = new List<LogEntry>((int)Math.Max(0, last - from + 1));
            for (var sequence = from; sequence <= last; sequence++)
            {
                result.Add(_entries[(int)(sequence % _entries.Length)]);
            }

            // Anything newer than `after` that is not returned was either evicted or cut by `count`.
            return new LogsResponse(result, Truncated: from > after + 1, last);
        }
    }
}
