using System.Diagnostics;

namespace Carapace.Host.Gateway;

/// <summary>When the gateway started; uptime is monotonic so wall-clock changes cannot skew it.</summary>
internal sealed class GatewayClock(TimeProvider time)
{
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public long UptimeSeconds => (long)Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
}
