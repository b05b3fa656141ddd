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
/// polled. Failures simply age out of the window. Clients are keyed by <see cref="ClientAddress.AuthKey"/> (all of loopback is one client).
/// Memory is bounded: entries with nothing left to remember are swept, and past
/// <see cref="MaxEntries"/> the least recently seen are evicted, except those locked out.
/// </para>
/// <para>
/// It also keeps the audit log from being flooded (a client could otherwise write lines until the
/// 50 MB rotation pushes the evidence out of <c>audit.jsonl.1</c>): requests refused during a lockout are
/// counted, not audited one by one, and credential-less failures are audited in full only
/// <see cref="CredentiallessAuditedPerWindow"/> times per client and window, the rest counted. The
/// counts come back as <see cref="AuthAuditSummary"/> lines from <see cref="CollectSummaries"/> once their
/// lockout or window is over (<see cref="AuthAuditReporter"/> asks every 30 s and at shutdown).
/// </para>
/// </summary>
internal sealed class AuthFailureThrottle(AuthThrottleSettings settings, TimeProvider time)
{
    public const int MaxEntries = 10_000;

    /// <summary>Credential-less failures per client and window that are audited line by line.</summary>
    public const int CredentiallessAuditedPerWindow = 10;

    // Lockouts double at most this many times; any setting reaches MaxLockout well before (7 days / 1 s < 2^20).
    private const int MaxLevel = 62;

    private readonly ConcurrentDictionary<IPAddress, Entry> _entries = new();
    private readonly Lock _sweepGate = new();
    private readonly Lock _evictedGate = new();
    private int _count;
    private long _nextSweepTicks;

    // Entry count that triggers a sweep before its time. Raised above MaxEntries while locked-out entries
    // (never evicted) fill the table, so that each further client does not rescan it all.
    private int _capacitySweepAt = MaxEntries;
    private EvictedCounts _evicted;

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
        var entry = GetOrAdd(client);
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

            var duration = LockoutFor(entry.Level);
            // Past the cap every lockout is the maximum; stopping the count keeps it from wrapping.
            entry.Level = Math.Min(entry.Level + 1, MaxLevel);
            var previous = entry.TakeRefused(Settings.Window);
            entry.LockedSince = now;
            entry.LockedUntil = now + duration;
            entry.Clear();
            return new FailureOutcome(failures, duration, previous is null ? null : previous with { Client = client });
        }
    }

    /// <summary>Counts a request refused because its client is locked out (audited later as one summary).</summary>
    public void RecordRefusedWhileLockedOut(IPAddress client)
    {
        if (_entries.TryGetValue(client, out var entry))
        {
            lock (entry.Gate)
            {
                entry.Refused++;
            }
        }
    }

    /// <summary>
    /// Records a request that presented no credential: never counted toward a lockout. Says whether to audit
    /// it in full; past <see cref="CredentiallessAuditedPerWindow"/> in the window it is only counted.
    /// </summary>
    public bool RecordCredentialless(IPAddress client, out AuthAuditSummary? endedWindow)
    {
        var now = time.GetUtcNow();
        MaybeSweep(now);
        var entry = GetOrAdd(client);
        lock (entry.Gate)
        {
            entry.LastSeen = now;
            endedWindow = null;
            if (now - entry.CredentiallessSince >= Settings.Window)
            {
                endedWindow = entry.TakeSuppressed(Settings.Window) is { } ended ? ended with { Client = client } : null;
                entry.CredentiallessSince = now;
                entry.CredentiallessInWindow = 0;
            }

            if (++entry.CredentiallessInWindow <= CredentiallessAuditedPerWindow)
            {
                return true;
            }

            if (entry.Suppressed++ == 0)
            {
                entry.FirstSuppressed = now;
            }

            entry.LastSuppressed = now;
            return false;
        }
    }

    /// <summary>
    /// Summaries whose lockout or credential-less window is over (all of them when <paramref name="all"/>, at
    /// shutdown), and what was evicted under memory pressure. Each count is returned once.
    /// </summary>
    public IReadOnlyList<AuthAuditSummary> CollectSummaries(bool all = false)
    {
        var now = time.GetUtcNow();
        var summaries = new List<AuthAuditSummary>();
        foreach (var (client, entry) in _entries)
        {
            lock (entry.Gate)
            {
                if (entry.Refused > 0 && (all || entry.LockedUntil <= now))
                {
                    summaries.Add(entry.TakeRefused(Settings.Window)! with { Client = client, Ended = entry.LockedUntil <= now });
                }

                if (entry.Suppressed > 0 && (all || now - entry.CredentiallessSince >= Settings.Window))
                {
                    summaries.Add(entry.TakeSuppressed(Settings.Window)! with { Client = client });
                }
            }
        }

        EvictedCounts evicted;
        lock (_evictedGate)
        {
            (evicted, _evicted) = (_evicted, default);
        }

        if (evicted.Refused > 0)
        {
            summaries.Add(new AuthAuditSummary(AuthAuditSummary.Kind.RefusedWhileLockedOut, null, evicted.Refused, null, null, Settings.Window, evicted.Clients));
        }

        if (evicted.Suppressed > 0)
        {
            summaries.Add(new AuthAuditSummary(AuthAuditSummary.Kind.CredentiallessSuppressed, null, evicted.Suppressed, null, null, Settings.Window, evicted.Clients));
        }

        return summaries;
    }

    /// <summary>
    /// The lockout after <paramref name="level"/> earlier ones: <c>Lockout · 2^level</c>, saturating at
    /// <c>MaxLockout</c>. Multiplying first overflowed a long (900 s · 2^30 ticks) into a negative duration,
    /// which threw on every further failure: each guess became a 500 and was never counted again.
    /// </summary>
    public TimeSpan LockoutFor(int level)
    {
        var max = Settings.MaxLockout.Ticks;
        var ticks = Settings.Lockout.Ticks;
        for (var i = 0; i < level && ticks < max; i++)
        {
            ticks = ticks > max / 2 ? max : ticks * 2;
        }

        return TimeSpan.FromTicks(Math.Min(ticks, max));
    }

    private Entry GetOrAdd(IPAddress client) =>
        _entries.GetOrAdd(client, static (_, state) =>
        {
            Interlocked.Increment(ref state._count);
            return new Entry(state.Settings.MaxFailures);
        }, this);

    private void MaybeSweep(DateTimeOffset now)
    {
        var overCapacity = Volatile.Read(ref _count) >= Volatile.Read(ref _capacitySweepAt);
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
                    // Counts not yet reported keep an entry alive until CollectSummaries has taken them.
                    idle = entry.Recent(now, Settings.Window) == 0 && now - entry.LockedUntil > Settings.MaxLockout
                           && entry.Refused == 0 && entry.Suppressed == 0 && now - entry.CredentiallessSince >= Settings.Window;
                }

                if (idle && _entries.TryRemove(key, out _))
                {
                    Interlocked.Decrement(ref _count);
                }
            }

            if (Volatile.Read(ref _count) >= MaxEntries)
            {
                // Still full of active clients (a spray from many addresses): forget the least recently
                // seen half of those not locked out. A locked-out client is never forgotten, or a spray
                // from other addresses would end its lockout early; such an entry holds no failure times
                // (see Entry.Clear), so the ones kept are small, and each took MaxFailures guesses to earn.
                var victims = _entries.Where(kv => kv.Value.LockedUntilTicks <= now.UtcTicks)
                    .OrderBy(kv => kv.Value.LastSeen).Take(_entries.Count / 2).Select(kv => kv.Key).ToList();
                foreach (var key in victims)
                {
                    if (_entries.TryRemove(key, out var victim))
                    {
                        Interlocked.Decrement(ref _count);
                        Evicted(victim);
                    }
                }
            }

            Volatile.Write(ref _capacitySweepAt, Math.Max(MaxEntries, Volatile.Read(ref _count) + MaxEntries / 2));
        }
        finally
        {
            _sweepGate.Exit();
        }
    }

    // An evicted client's unreported counts still reach the audit log, summed over every evicted client.
    private void Evicted(Entry victim)
    {
        long refused, suppressed;
        lock (victim.Gate)
        {
            (refused, suppressed) = (victim.Refused, victim.Suppressed);
            victim.Refused = victim.Suppressed = 0;
        }

        if (refused > 0 || suppressed > 0)
        {
            lock (_evictedGate)
            {
                _evicted = new EvictedCounts(_evicted.Refused + refused, _evicted.Suppressed + suppressed, _evicted.Clients + 1);
            }
        }
    }

    private readonly record struct EvictedCounts(long Refused, long Suppressed, int Clients);

    private sealed class Entry(int capacity)
    {
        // Allocated on the first failure and dropped when a lockout starts: most entries (credential-less
        // clients, clients sitting out a lockout) need none.
        private DateTimeOffset[]? _failures;
        private int _next;
        private int _stored;
        private long _lockedUntilTicks = DateTimeOffset.MinValue.UtcTicks;

        public Lock Gate { get; } = new();
        public DateTimeOffset LastSeen { get; set; }
        public DateTimeOffset LockedSince { get; set; } = DateTimeOffset.MinValue;

        public DateTimeOffset LockedUntil
        {
            get => new(Interlocked.Read(ref _lockedUntilTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _lockedUntilTicks, value.UtcTicks);
        }

        /// <summary>Readable without <see cref="Gate"/> (the eviction scan).</summary>
        public long LockedUntilTicks => Interlocked.Read(ref _lockedUntilTicks);
        public int Level { get; set; }

        /// <summary>Requests refused during the current (or last) lockout, not yet reported.</summary>
        public long Refused { get; set; }

        public DateTimeOffset CredentiallessSince { get; set; } = DateTimeOffset.MinValue;
        public int CredentiallessInWindow { get; set; }

        /// <summary>Credential-less failures past the per-window allowance, not yet reported.</summary>
        public long Suppressed { get; set; }
        public DateTimeOffset FirstSuppressed { get; set; }
        public DateTimeOffset LastSuppressed { get; set; }

        public AuthAuditSummary? TakeRefused(TimeSpan window)
        {
            if (Refused == 0)
            {
                return null;
            }

            var summary = new AuthAuditSummary(AuthAuditSummary.Kind.RefusedWhileLockedOut, null, Refused, LockedSince, LockedUntil, window);
            Refused = 0;
            return summary;
        }

        public AuthAuditSummary? TakeSuppressed(TimeSpan window)
        {
            if (Suppressed == 0)
            {
                return null;
            }

            var summary = new AuthAuditSummary(AuthAuditSummary.Kind.CredentiallessSuppressed, null, Suppressed, FirstSuppressed, LastSuppressed, window);
            Suppressed = 0;
            return summary;
        }

        public void Add(DateTimeOffset at)
        {
            _failures ??= new DateTimeOffset[capacity];
            _failures[_next] = at;
            _next = (_next + 1) % _failures.Length;
            _stored = Math.Min(_stored + 1, _failures.Length);
        }

        public int Recent(DateTimeOffset now, TimeSpan window)
        {
            var count = 0;
            for (var i = 0; i < _stored; i++)
            {
                if (now - _failures![i] < window)
                {
                    count++;
                }
            }

            return count;
        }

        public void Clear()
        {
            _failures = null;
            _next = 0;
            _stored = 0;
        }
    }
}

/// <summary>
/// Failures still inside the window, the lockout this failure started (if any), and the refusals of the
/// client's previous lockout if they had not been reported yet (a new lockout begins a new count).
/// </summary>
internal readonly record struct FailureOutcome(int FailuresInWindow, TimeSpan? LockoutStarted, AuthAuditSummary? PreviousLockoutRefusals = null);
