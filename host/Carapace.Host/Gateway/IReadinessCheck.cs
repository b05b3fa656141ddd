namespace Carapace.Host.Gateway;

/// <summary>Contributes reasons why the gateway is not ready (<c>/health/ready</c> answers 503 while any exist).</summary>
internal interface IReadinessCheck
{
    /// <summary>
    /// Stable reason codes only (<c>state_dir_not_writable</c>, <c>channel_error:&lt;id&gt;</c>): /health/ready is
    /// public, so no path, exception message or other detail goes here. Details are behind /control/status.
    /// </summary>
    IEnumerable<string> NotReadyReasons();
}

/// <summary>The state directory must be writable: every durable change lands there.</summary>
internal sealed class StateDirectoryReadiness(StateProbe probe) : IReadinessCheck
{
    public const string NotWritable = "state_dir_not_writable";

    public IEnumerable<string> NotReadyReasons()
    {
        if (!probe.IsWritable())
        {
            yield return NotWritable;
        }
    }
}
