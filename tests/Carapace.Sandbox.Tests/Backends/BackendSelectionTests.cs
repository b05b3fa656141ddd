using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Diagnostics;

namespace Carapace.Sandbox.Tests.Backends;

/// <summary>The broker picks the backend by OS at run time; on this Linux machine the others must refuse, never run weaker.</summary>
public sealed class BackendSelectionTests
{
    private static readonly SandboxRequest Probe = new() { Executable = "/bin/true", ReadOnlyRoots = ["/usr", "/bin"] };

    [Fact]
    public async Task Windows_is_chosen_for_windows_and_refuses_off_windows()
    {
        var sink = new RecordingSink();
        await using var broker = new SandboxBroker(new SandboxOptions(), sink, null, new SandboxPlatform { Os = SandboxOs.Windows });

        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(Probe, default));
        var report = await new SandboxDiagnostics(broker).CheckAsync();

        Assert.Equal("windows-job-appcontainer", broker.BackendStatus!.Backend);
        Assert.True(broker.BackendStatus.Partial);
        Assert.StartsWith("the Windows backend runs on Windows only", e.Reason, StringComparison.Ordinal);
        Assert.Equal(e.Reason, Assert.Single(sink.Events.OfType<SandboxRefusal>()).Reason);
        Assert.Equal("windows", report.Os);
        Assert.True(report.RunsRefused);
    }

    [Fact]
    public async Task MacOS_is_chosen_for_macos_and_refuses_without_sandbox_exec()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null, new SandboxPlatform { Os = SandboxOs.MacOS });

        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(Probe, default));

        Assert.Equal("macos-seatbelt", broker.BackendStatus!.Backend);
        Assert.True(broker.BackendStatus.Partial);
        Assert.Equal("/usr/bin/sandbox-exec is missing (the macOS backend needs sandbox-exec and the system perl)", e.Reason);
    }

    [Fact]
    public async Task Any_other_os_has_no_backend_and_every_run_is_unsupported()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null, new SandboxPlatform { Os = SandboxOs.Other });

        var e = await Assert.ThrowsAsync<SandboxUnsupportedException>(() => broker.RunAsync(Probe, default));

        Assert.Null(broker.BackendStatus);
        Assert.Contains("no sandbox backend exists for this operating system", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Linux_is_chosen_for_linux()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null, new SandboxPlatform { Os = SandboxOs.Linux });

        Assert.Equal("linux-landlock", broker.BackendStatus!.Backend);
        Assert.False(broker.BackendStatus.Partial);
    }
}
