using System.Collections.Concurrent;
using System.Net;

namespace Carapace.Host.Security;

/// <summary>
/// Locks a client out of the control API after repeated authentication failures: by default 10
/// failures within 60 s lock it out for 300 s, doubling with each further lockout (up to
/// <c>maxLockoutSeconds</c>) until the client has stayed clean that long. Loopback is included: local
/// malware guessing the token is a real threat. While locked out, every control request from the client
/// answers 429, even with the right credential, so guessing gains nothing.
/// <para>
/// A success does not reset anything. Otherwise a brute-forcer sharing an address with a legitimate
/// client (every local process is 127.0.0.1) would get a fresh allowance each time that client
/// polled. Failures simply age out of the window. Clients are keyed by <see cref="ClientAddress.Key"/>.
/// Memory is bounded: entries with nothing left to remember are swept, and past
/// <see cref="MaxEntries"/> the least recently seen are evicted.
/// </para>
/// </summary>
internal sealed class AuthFailureThrottle(AuthThrottleSettings settings, TimeProvider time)
{
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<IPAddress, Entry> _entries = new();
    private readonly Lock _sweepGate = new();
    private int _count;
    private long _nextSweepTicks;

    public AuthThrottleSettings Settings { get; } = settings;

    public int TrackedClients => Volatile.Read(ref _count);

    /// <summary>How long <paramref name="client"/> remains locked out, or null if it is not.</summary>
    public TimeSpan? LockedOutFor(IPAddress client)
    {
        if (!_entries.TryGetValue(client, out var entry))
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (entry.Gate)
        {
            entry.LastSeen = now;
            return entry.LockedUntil > now ? entry.LockedUntil - now : null;
        }
    }

    /// <summary>Records a failed credential; says whether it started a lockout.</summary>
    public FailureOutcome RecordFailure(IPAddress client)
    {
        var now = time.GetUtcNow();
        MaybeSweep(now);
        var entry = _entries.GetOrAdd(client, static (_, state) =>
        {
            Interlocked.Increment(ref state._count);
            return new Entry(state.Settings.MaxFailures);
        }, this);

        lock (entry.Gate)
        {
            entry.LastSeen = now;
            if (entry.LockedUntil > now)
            {
                return new FailureOutcome(entry.Recent(now, Settings.Window), null);
            }

            entry.Add(now);
            var failures = entry.Recent(now, Settings.Window);
            if (failures < Settings.MaxFailures)
            {
                return new FailureOutcome(failures, null);
            }

            if (now - entry.LockedUntil > Settings.MaxLockout)
            {
                entry.Level = 0;
            }

            var duration = TimeSpan.FromTicks(Math.Min(Settings.MaxLockout.Ticks,
                Settings.Lockout.Ticks * (1L << Math.Min(entry.Level, 30))));
            entry.Level++;
            entry.LockedUntil = now + duration;
            entry.Clear();
            return new FailureOutcome(failures, duration);
        }
    }

    private void MaybeSweep(DateTimeOffset now)
    {
        var overCapacity = Volatile.Read(ref _count) >= MaxEntries;
        if (!overCapacity && now.UtcTicks < Interlocked.Read(ref _nextSweepTicks))
        {
            return;
        }

        if (!_sweepGate.TryEnter())
        {
            return;
        }

        try
        {
            Interlocked.Exchange(ref _nextSweepTicks, (now + Settings.Window).UtcTicks);
            foreach (var (key, entry) in _entries)
            {
                bool idle;
                lock (entry.Gate)
                {
                    idle = entry.Recent(now, Settings.Window) == 0 && now - entry.LockedUntil > Settings.MaxLockout;
                }

                if (idle && _entries.TryRemove(key, out _))
                {
                    Interlocked.Decrement(ref _count);
                }
            }

            if (Volatile.Read(ref _count) >= MaxEntries)
            {
                // Still full of active clients (a spray from many addresses): forget the least recently
                // seen half. An attacker with that many addresses gains nothing a lockout could stop.
                var victims = _entries.OrderBy(kv => kv.Value.LastSeen).Take(_entries.Count / 2).Select(kv => kv.Key).ToList();
                foreach (var key in victims)
                {
                    if (_entries.TryRemove(key, out _))
                    {
                        Interlocked.Decrement(ref _count);
                    }
                }
            }
        }
        finally
        {
            _sweepGate.Exit();
        }
    }

    private sealed class Entry(int capacity)
    {
        private readonly DateTimeOffset[] _failures = new DateTimeOffset[capacity];
        private int _next;
        private int _stored;

        public Lock Gate { get; } = new();
        public DateTimeOffset LastSeen { get; set; }
        public DateTimeOffset LockedUntil { get; set; } = DateTimeOffset.MinValue;
        public int Level { get; set; }

        public void Add(DateTimeOffset at)
        {
            _failures[_next] = at;
            _next = (_next + 1) % _failures.Length;
            _stored = Math.Min(_stored + 1, _failures.Length);
        }

        public int Recent(DateTimeOffset now, TimeSpan window)
        {
            var count = 0;
            for (var i = 0; i < _stored; i++)
            {
                if (now - _failures[i] < window)
                {
                    count++;
                }
            }

            return count;
        }

        public void Clear()
        {
            _next = 0;
            _stored = 0;
        }
    }
}

/// <summary>Failures still inside the window, and the lockout this failure started (if any).</summary>
internal readonly record struct FailureOutcome(int FailuresInWindow, TimeSpan? LockoutStarted);
