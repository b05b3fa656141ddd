using System.Text.Json;
using Carapace.Protocol;
using Carapace.Protocol.Health;
using Carapace.Protocol.Logs;

namespace Carapace.Protocol.Tests;

public sealed class ProtocolJsonTests
{
    [Fact]
    public void Health_serialises_with_the_upstream_field_names()
    {
        var json = JsonSerializer.Serialize(new HealthResponse("ok", "1.2.3", 42), ProtocolJson.Default.HealthResponse);

        Assert.Equal("{\"status\":\"ok\",\"version\":\"1.2.3\",\"uptimeSeconds\":42}", json);
    }

    [Fact]
    public void Logs_round_trip()
    {
        var original = new LogsResponse([new LogEntry(7, DateTimeOffset.UnixEpoch, "Warning", "src", "msg", null)], true, 7);

        var copy = JsonSerializer.Deserialize(JsonSerializer.Serialize(original, ProtocolJson.Default.LogsResponse), ProtocolJson.Default.LogsResponse)!;

        Assert.Equal(original.LastSequence, copy.LastSequence);
        Assert.Equal(original.Entries[0], copy.Entries[0]);
        Assert.True(copy.Truncated);
    }
}
