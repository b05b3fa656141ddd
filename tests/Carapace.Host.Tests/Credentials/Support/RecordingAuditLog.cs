using System.Collections.Concurrent;
using Carapace.Host.Audit;

namespace Carapace.Host.Tests.Credentials.Support;

internal sealed class RecordingAuditLog : IAuditLog
{
    public ConcurrentQueue<(string Event, IReadOnlyDictionary<string, object?> Data)> Events { get; } = new();

    public void Write(string eventName, IReadOnlyDictionary<string, object?> data) =>
        Events.Enqueue((eventName, new Dictionary<string, object?>(data)));

    public IEnumerable<IReadOnlyDictionary<string, object?>> Named(string eventName) =>
        Events.Where(e => e.Event == eventName).Select(e => e.Data);

    /// <summary>Every value of every event, as text, for "the secret never appears" checks.</summary>
    public string AllText() => string.Join("\n", Events.SelectMany(e => e.Data.Select(d => $"{e.Event} {d.Key}={d.Value}")));
}
