using Carapace.Storage;

namespace Carapace.Host.Gateway;

/// <summary>Contributes reasons why the gateway is not ready (<c>/health/ready</c> answers 503 while any exist).</summary>
internal interface IReadinessCheck
{
    IEnumerable<string> NotReadyReasons();
}

/// <summary>The state directory must be writable: every durable change lands there.</summary>
internal sealed class StateDirectoryReadiness(StateDirectory state, StateProbe probe) : IReadinessCheck
{
    public IEnumerable<string> NotReadyReasons()
    {
        if (!probe.IsWritable())
        {
            yield return $"state directory {state.Root} is not writable";
        }
    }
}
