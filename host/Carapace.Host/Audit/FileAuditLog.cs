using System.Threading.Channels;
using Carapace.Host.Metrics;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Audit;

/// <summary>
/// <c>&lt;state&gt;/audit.jsonl</c>. <see cref="Write"/> serialises the event on the caller's thread (so no
/// reference to the caller's data outlives the call) and offers the line to a bounded queue; it never
/// blocks and never throws. One background writer appends each line with a single O_APPEND write
/// (<see cref="AppendOnlyFile"/>), so lines never interleave. When the queue is full the event is
/// dropped and counted; as soon as the writer catches up it appends an <c>audit_events_dropped</c> event
/// with the count and the first and last drop times, and a timer retries every
/// <see cref="DropReportInterval"/> (as upstream), so drops are reported even when no later event comes
/// (the file was unwritable, then fixed). At 50 MB (<see cref="DefaultRotateBytes"/>, decimal) the file is renamed to
/// <c>audit.jsonl.1</c> (replacing the previous one) and a new file is started. Files are 0600. Disposing
/// (the gateway disposes its services after the server has stopped) drains the queue.
/// </summary>
internal sealed class FileAuditLog : IAuditLog, IAsyncDisposable
{
    public const long DefaultRotateBytes = 50L * 1000 * 1000;
    public const int DefaultCapacity = 10_000;
    public static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(30);


    private readonly Channel<byte[]> _queue;
    private readonly TimeProvider _time;
    private readonly GatewayMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly long _rotateBytes;
    private readonly Task _writer;
    private readonly ITimer _dropTimer;
    private readonly Lock _dropGate = new();
    private long _dropped;
    private DateTimeOffset _firstDrop;
    private DateTimeOffset _lastDrop;
    private AppendOnlyFile? _file;
    private DateTimeOffset _nextOpenAttempt = DateTimeOffset.MinValue;

    public FileAuditLog(string path, TimeProvider time, GatewayMetrics? metrics, ILogger<FileAuditLog> logger,
        long rotateBytes = DefaultRotateBytes, int capacity = DefaultCapacity)
    {
        Path = path;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _rotateBytes = rotateBytes;
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,   // with TryWrite: refuse (and count) rather than block
        });
        _writer = Task.Run(RunAsync);
        _dropTimer = time.CreateTimer(static state => ((FileAuditLog)state!).WakeForDrops(), this, DropReportInterval, DropReportInterval);
    }

    public string Path { get; }

    public string RotatedPath => Path + ".1";

    /// <summary>Events dropped and not yet reported in the file.</summary>
    public long PendingDropped => Interlocked.Read(ref _dropped);

    public void Write(string eventName, IReadOnlyDictionary<string, object?> data)
    {
        var now = _time.GetUtcNow();
        byte[] line;
        try
        {
            line = AuditLine.Serialize(now, eventName, data);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            line = AuditLine.Serialize(now, AuditEvents.AuditEventTooLarge,
                new Dictionary<string, object?> { ["original_event"] = eventName, ["error"] = ex.GetType().Name });
        }

        if (!_queue.Writer.TryWrite(line))
        {
            RecordDrop(now, 1);
        }
    }

    /// <summary>Stops accepting events and waits until everything queued is on disk.</summary>
    public async ValueTask DisposeAsync()
    {
        await _dropTimer.DisposeAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    // A full queue needs no wake-up: the writer reports drops after every batch it takes.
    private void WakeForDrops()
    {
        if (PendingDropped > 0)
        {
            _queue.Writer.TryWrite([]);   // an empty "line" wakes the writer; real lines are never empty
        }
    }

    private void RecordDrop(DateTimeOffset at, long count)
    {
        lock (_dropGate)
        {
            if (_dropped == 0)
            {
                _firstDrop = at;
            }

            _lastDrop = at;
            _dropped += count;
        }

        _metrics?.AuditDropped(count);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var line))
                {
                    if (line.Length > 0)
                    {
                        Append(line);
                    }
                }

                ReportDrops();
            }
        }
        catch (Exception ex)
        {
            // Never let the audit writer take the gateway down; what cannot be written is counted.
            _logger.LogError(ex, "Audit writer stopped unexpectedly");
        }
        finally
        {
            ReportDrops();
            _file?.Dispose();
            _file = null;
        }
    }

    private void ReportDrops()
    {
        long count;
        DateTimeOffset first, last;
        lock (_dropGate)
        {
            (count, first, last) = (_dropped, _firstDrop, _lastDrop);
            _dropped = 0;
        }

        if (count == 0)
        {
            return;
        }

        _logger.LogWarning("Audit: {Count} events were dropped (queue full or file unwritable)", count);
        var line = AuditLine.Serialize(_time.GetUtcNow(), AuditEvents.AuditEventsDropped, new Dictionary<string, object?>
        {
            ["dropped_count"] = count,
            ["first_drop_ts"] = first,
            ["last_drop_ts"] = last,
        });
        if (!Append(line, countDrop: false))
        {
            // Still unwritable: keep the count for the next report.
            lock (_dropGate)
            {
                _lastDrop = _dropped == 0 ? last : _lastDrop;
                _firstDrop = first;
                _dropped += count;
            }
        }
    }

    private bool Append(byte[] line, bool countDrop = true)
    {
        try
        {
            var file = EnsureOpen(line.Length);
            if (file is null)
            {
                if (countDrop)
                {
                    RecordDrop(_time.GetUtcNow(), 1);
                }

                return false;
            }

            file.Append(line);
            _metrics?.AuditWritten();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Audit: cannot append to {Path}: {Error}", Path, ex.Message);
            _file?.Dispose();
            _file = null;
            if (countDrop)
            {
                RecordDrop(_time.GetUtcNow(), 1);
            }

            return false;
        }
    }

    private AppendOnlyFile? EnsureOpen(int nextLine)
    {
        if (_file is not null && _file.Length > 0 && _file.Length + nextLine > _rotateBytes)
        {
            _file.Dispose();
            _file = null;
            File.Move(Path, RotatedPath, overwrite: true);
            _logger.LogInformation("Audit: rotated {Path} to {Rotated}", Path, RotatedPath);
        }

        if (_file is not null)
        {
            return _file;
        }

        var now = _time.GetUtcNow();
        if (now < _nextOpenAttempt)
        {
            return null;
        }

        try
        {
            _file = AppendOnlyFile.Open(Path);
            return _file;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _nextOpenAttempt = now.AddSeconds(5);
            _logger.LogError("Audit: cannot open {Path}: {Error}. Audit events are dropped (and counted) until it can be written.", Path, ex.Message);
            return null;
        }
    }
}
