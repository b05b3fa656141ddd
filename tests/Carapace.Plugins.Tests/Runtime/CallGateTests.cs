using Carapace.Plugins.Runtime;

namespace Carapace.Plugins.Tests.Runtime;

public sealed class CallGateTests
{
    [Fact]
    public async Task Drain_waits_for_calls_in_flight_and_refuses_new_ones()
    {
        var gate = new CallGate();
        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());

        var drained = gate.BeginDrain();

        Assert.False(drained.IsCompleted);
        Assert.False(gate.TryEnter());
        gate.Exit();
        Assert.False(drained.IsCompleted);
        gate.Exit();
        await drained.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, gate.InFlight);
    }

    [Fact]
    public void Drain_with_nothing_in_flight_completes_at_once()
    {
        var gate = new CallGate();

        Assert.True(gate.BeginDrain().IsCompleted);
        Assert.True(gate.IsDraining);
    }
}
