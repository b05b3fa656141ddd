using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.Windows;

/// <summary>
/// Windows (PARTIAL): Job Object limits + AppContainer for deny-network are not implemented in this
/// build, so every request is refused (fail closed) with a reason that says so.
/// </summary>
internal sealed class WindowsJobBackend : ISandboxBackend
{
    public WindowsJobBackend(SandboxOptions options, SandboxPlatform platform, ScratchDirectories scratch)
    {
        _ = (options, platform, scratch);
        Status = new SandboxBackendStatus("windows-job-appcontainer", false,
            "the Windows backend (Job Object + AppContainer) is not implemented yet; deny-network spawns are blocked",
            [], null, null, null, null, Partial: true);
    }

    public SandboxBackendStatus Status { get; }

    public string? RefusalFor(SandboxRequest request) => Status.UnavailableReason;

    public SandboxRequest SelfTestRequest(string canaryPath) => new()
    {
        Executable = Path.Combine(Environment.SystemDirectory, "cmd.exe"),
        Arguments = ["/c", "type", canaryPath],
        Caller = "sandbox:self-test",
    };

    public Task<BackendRun> RunAsync(SandboxRequest request, CancellationToken cancellationToken) =>
        throw new SandboxUnavailableException(Status.UnavailableReason!);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
