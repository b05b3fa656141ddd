namespace Carapace.Sandbox.Exec;

/// <summary>A confinement step failed; the launcher reports it and exits 125 without running the target.</summary>
internal sealed class LaunchFailedException(string step, int errno, string message) : Exception(message)
{
    public string Step { get; } = step;
    public int Errno { get; } = errno;
}
