namespace Carapace.Abstractions.Sandbox;

/// <summary>
/// The sandbox cannot enforce what the run requires on this machine (unsupported OS, Landlock
/// missing or too old, launcher missing, self-test failed). The run was refused, never retried unconfined.
/// </summary>
public class SandboxUnavailableException : Exception
{
    public SandboxUnavailableException(string reason) : base(reason) => Reason = reason;

    public SandboxUnavailableException(string reason, Exception innerException) : base(reason, innerException) => Reason = reason;

    public SandboxUnavailableException() : this("sandbox unavailable") { }

    public string Reason { get; }
}
