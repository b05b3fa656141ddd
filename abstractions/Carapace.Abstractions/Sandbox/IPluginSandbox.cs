namespace Carapace.Abstractions.Sandbox;

/// <summary>
/// Runs a subprocess for the plugin. The confinement (filesystem roots, network, resource limits)
/// comes from a named profile the operator granted to the plugin (<c>subprocess</c> capability), never
/// from the plugin itself. If the platform cannot enforce the profile, the run is refused.
/// </summary>
public interface IPluginSandbox
{
    Task<SandboxResult> RunAsync(SandboxCommand command, CancellationToken cancellationToken);
}
