namespace Carapace.Abstractions.Sandbox;

/// <summary>
/// This operating system has no sandbox backend at all, so every sandbox-required run is refused
/// (fail closed). A special case of <see cref="SandboxUnavailableException"/>.
/// </summary>
public sealed class SandboxUnsupportedException : SandboxUnavailableException
{
    public SandboxUnsupportedException(string reason) : base(reason) { }

    public SandboxUnsupportedException(string reason, Exception innerException) : base(reason, innerException) { }

    public SandboxUnsupportedException() : this("no sandbox backend exists for this operating system") { }
}
