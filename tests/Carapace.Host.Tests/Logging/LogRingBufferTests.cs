using Carapace.Host.Logging;
using Serilog;

namespace Carapace.Host.Tests.Logging;

public sealed class LogRingBufferTests
{
    private static LogRingBuffer Fill(int capacity, int count)
    {
        var ring = new LogRingBuffer(capacity);
        using var logger = new LoggerConfiguration().WriteTo.Sink(ring).CreateLogger();
        for (var i = 1; i <= count; i++)
        {
            logger.Information("message {Number} from {Name}", i, "x");
        }

        return ring;
    }

    [Fact]
    public void Keeps_only_the_newest_entries_in_order()
    {
        var ring = Fill(capacity: 10, count: 25);

        var snapshot = ring.Snapshot(100);

        Assert.Equal(10, snapshot.Entries.Count);
        Assert.Equal("message 16 from x", snapshot.Entries[0].Message);
        Assert.Equal("message 25 from x", snapshot.Entries[^1].Message);
        Assert.True(snapshot.Truncated);
        Assert.Equal(25, snapshot.LastSequence);
    }

    [Fact]
    public void Not_truncated_when_everything_fits()
    {
        var snapshot = Fill(capacity: 10, count: 3).Snapshot(100);

        Assert.Equal(3, snapshot.Entries.Count);
        Assert.False(snapshot.Truncated);
    }

    [Fact]
    public void After_returns_only_newer_entries()
    {
        var snapshot = Fill(capacity: 10, count: 8).Snapshot(100, after: 6);

        Assert.Equal([7L, 8L], snapshot.Entries.Select(e => e.Sequence));
        Assert.False(snapshot.Truncated);
    }

    [Fact]
    public void Empty_buffer_returns_nothing()
    {
        var snapshot = new LogRingBuffer(5).Snapshot(10);

        Assert.Empty(snapshot.Entries);
        Assert.Equal(0, snapshot.LastSequence);
    }
}
