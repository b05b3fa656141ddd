using Carapace.Abstractions.Sandbox;

namespace Carapace.Sandbox;

/// <summary>
/// The only way Carapace starts a subprocess. Runs <see cref="SandboxRequest"/> confined by the
/// platform backend, or refuses with <see cref="SandboxUnavailableException"/> (never runs it weaker).
/// </summary>
public interface ISandboxBroker
{
    /// <exception cref="SandboxUnavailableException">The policy cannot be enforced here; nothing ran.</exception>
    /// <exception cref="SandboxUnsupportedException">No backend exists for this operating system.</exception>
    /// <exception cref="InvalidSandboxRequestException">The request itself is malformed.</exception>
    Task<SandboxResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken);
}
