using System.Threading.RateLimiting;

namespace Carapace.Host.Outbound;

/// <summary>
/// At most <c>permitLimit</c> permits in any rolling <c>window</c>, no queueing. Hand-written on the
/// <see cref="RateLimiter"/> abstraction because the built-in limiters read the stopwatch directly: they
/// take no <see cref="TimeProvider"/>, and their manual <c>TryReplenish</c> still adds permits in
/// proportion to elapsed wall time, so a budget could not be tested without sleeping. Keeping one
/// timestamp per permit is exact and cheap at plugin budgets (100 a minute).
/// </summary>
internal sealed class RollingWindowRateLimiter : RateLimiter
{
    private readonly int _permitLimit;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly Queue<long> _granted = new();
    private readonly Lock _lock = new();
    private long _lastActivity;
    private long _failed;
    private long _succeeded;

    public RollingWindowRateLimiter(int permitLimit, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permitLimit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _permitLimit = permitLimit;
        _window = window;
        _time = time;
        _lastActivity = time.GetTimestamp();
    }

    public int PermitLimit => _permitLimit;

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                return _granted.Count == 0 ? _time.GetElapsedTime(_lastActivity) : null;
            }
        }
    }

    public override RateLimiterStatistics GetStatistics()
    {
        lock (_lock)
        {
            Expire(_time.GetTimestamp());
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _permitLimit - _granted.Count,
                CurrentQueuedCount = 0,
                TotalFailedLeases = _failed,
                TotalSuccessfulLeases = _succeeded,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _permitLimit);
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _lastActivity = now;
            Expire(now);
            if (_granted.Count + permitCount <= _permitLimit)
            {
                for (var i = 0; i < permitCount; i++)
                {
                    _granted.Enqueue(now);
                }

                _succeeded++;
                return Lease.Granted;
            }

            _failed++;
            var oldest = _granted.ElementAt(_granted.Count + permitCount - _permitLimit - 1);
            return new Lease(false, _window - _time.GetElapsedTime(oldest, now));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Expire(long now)
    {
        while (_granted.Count > 0 && _time.GetElapsedTime(_granted.Peek(), now) >= _window)
        {
            _granted.Dequeue();
        }
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static Lease Granted { get; } = new(true, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames =>
            retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is { } value && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = value;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
