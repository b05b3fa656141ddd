using System.Text.Json;
using Carapace.Testing;

namespace Carapace.Host.Tests.Infrastructure;

/// <summary>Reads a gateway's audit.jsonl; the writer is asynchronous, so callers poll with a deadline.</summary>
internal static class AuditFile
{
    public static List<JsonElement> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var events = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            events.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        return events;
    }

    public static async Task<List<JsonElement>> WaitForAsync(string path, Func<List<JsonElement>, bool> condition, string what)
    {
        List<JsonElement> events = [];
        await Poll.UntilAsync(() =>
        {
            events = Read(path);
            return condition(events);
        }, TimeSpan.FromSeconds(10), what);
        return events;
    }

    public static int Count(this List<JsonElement> events, string name) =>
        events.Count(e => e.GetProperty("event").GetString() == name);
}
