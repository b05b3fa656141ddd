using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that records the due time of every timer created on it and counts
/// the timers that fired, so a test can assert which timeout was armed and whether it has run.
/// </summary>
internal sealed class TimerRecordingTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private int _fired;

    public ConcurrentQueue<TimeSpan> DueTimes { get; } = new();

    public int Fired => Volatile.Read(ref _fired);

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        DueTimes.Enqueue(dueTime);
        return inner.CreateTimer(s =>
        {
            Interlocked.Increment(ref _fired);
            callback(s);
        }, state, dueTime, period);
    }

    public void Advance(TimeSpan by) => inner.Advance(by);
}
