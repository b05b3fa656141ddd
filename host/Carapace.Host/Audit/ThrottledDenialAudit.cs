using System.Collections.Concurrent;

namespace Carapace.Host.Audit;

/// <summary>
/// Keeps a spinning plugin from flooding <c>audit.jsonl</c> with <c>capability_denied</c> (and pushing real
/// evidence out through rotation). Per denial kind (the caller's <c>kind</c> of the reason: "no grant",
/// "URL not granted", "ssrf_blocked", …) the first denial of a window of <see cref="Window"/> is written in
/// full; the rest of that window are counted and written as one <c>capability_denied_suppressed</c>
/// <c>{plugin_id, capability, kind, count, window_seconds, first_ts, last_ts}</c> line when the window ends
/// (by a timer, so the count arrives even if the plugin stops). Other events pass straight through.
/// One instance per plugin capability object, so the plugin id is fixed.
/// </summary>
internal sealed class ThrottledDenialAudit(IAuditLog inner, TimeProvider time, Func<IReadOnlyDictionary<string, object?>, string> kindOf) : IAuditLog, IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    public static string Reason(IReadOnlyDictionary<string, object?> data) => data.GetValueOrDefault("reason") as string ?? string.Empty;

    // Kinds are a handful of fixed strings per capability; the cap only guards against a caller bug.
    private const int MaxKinds = 64;

    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    public void Write(string eventName, IReadOnlyDictionary<string, object?> data)
    {
        if (eventName != AuditEvents.CapabilityDenied)
        {
            inner.Write(eventName, data);
            return;
        }

        var kind = kindOf(data);
        if (_kinds.Count >= MaxKinds && !_kinds.ContainsKey(kind))
        {
            kind = "other";
        }

        var state = _kinds.GetOrAdd(kind, static k => new Kind(k));
        var now = time.GetUtcNow();
        lock (state)
        {
            if (state.WindowStart is { } start && now - start < Window)
            {
                if (state.Suppressed++ == 0)
                {
                    state.FirstSuppressed = now;
                    state.Sample = data;
                    state.Timer = time.CreateTimer(_ => Flush(state), null, start + Window - now, Timeout.InfiniteTimeSpan);
                }

                state.LastSuppressed = now;
                return;
            }

            state.WindowStart = now;
        }

        inner.Write(eventName, data);
    }

    private void Flush(Kind state)
    {
        long count;
        DateTimeOffset first, last;
        IReadOnlyDictionary<string, object?>? sample;
        lock (state)
        {
            (count, first, last, sample) = (state.Suppressed, state.FirstSuppressed, state.LastSuppressed, state.Sample);
            state.Sample = null;
            state.Suppressed = 0;
            state.WindowStart = null;
            state.Timer?.Dispose();
            state.Timer = null;
        }

        if (count == 0 || sample is null)
        {
            return;
        }

        inner.Write(AuditEvents.CapabilityDeniedSuppressed, new Dictionary<string, object?>
        {
            ["plugin_id"] = sample.GetValueOrDefault("plugin_id"),
            ["capability"] = sample.GetValueOrDefault("capability"),
            ["kind"] = state.Name,
            ["count"] = count,
            ["window_seconds"] = (long)Window.TotalSeconds,
            ["first_ts"] = first,
            ["last_ts"] = last,
        });
    }

    /// <summary>Writes every pending count now (the plugin's capability object is going away).</summary>
    public void Dispose()
    {
        foreach (var state in _kinds.Values)
        {
            Flush(state);
        }
    }

    private sealed class Kind(string name)
    {
        public string Name { get; } = name;
        public DateTimeOffset? WindowStart { get; set; }
        public long Suppressed { get; set; }
        public DateTimeOffset FirstSuppressed { get; set; }
        public DateTimeOffset LastSuppressed { get; set; }
        public ITimer? Timer { get; set; }
        public IReadOnlyDictionary<string, object?>? Sample { get; set; }
    }
}
