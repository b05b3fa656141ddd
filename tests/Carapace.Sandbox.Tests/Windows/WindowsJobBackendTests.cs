using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Windows;
using Carapace.Testing;

namespace Carapace.Sandbox.Tests.Windows;

/// <summary>The Windows backend driven through the real broker on Linux, with the Win32 side faked.</summary>
public sealed class WindowsJobBackendTests
{
    private static SandboxBroker Broker(FakeWindowsHost host, RecordingSink? sink = null, string? scratchRoot = null) =>
        new(new SandboxOptions { ScratchRoot = scratchRoot }, sink, null, new SandboxPlatform { Os = SandboxOs.Windows, WindowsHost = host });

    private static SandboxRequest Echo(params string[] readWrite) => new()
    {
        Executable = "/bin/echo",
        Arguments = ["two words", "say \"hi\""],
        ReadOnlyRoots = ["/usr", "/bin"],
        ReadWriteRoots = readWrite,
        Limits = new SandboxLimits { CpuSeconds = 3, Processes = 5, OpenFiles = null, FileSizeBytes = null },
        Profile = "default",
    };

    [Fact]
    public async Task A_run_creates_the_process_in_a_job_and_an_appcontainer_with_grants_on_every_root()
    {
        using var rw = new TempDirectory();
        using var host = new FakeWindowsHost();
        await using var broker = Broker(host);

        var result = await broker.RunAsync(Echo(rw.Path), default);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("ran\n", result.StdoutText);
        var launch = host.Launches[^1];
        Assert.Equal("/bin/echo", launch.ApplicationName);
        Assert.Equal("\"/bin/echo\" \"two words\" \"say \\\"hi\\\"\"", launch.CommandLine);
        Assert.Equal(WindowsJobBackend.ProfileName(Echo(rw.Path)), launch.AppContainer.Name);
        Assert.StartsWith("S-1-15-2-", launch.AppContainer.Sid, StringComparison.Ordinal);
        Assert.Equal(JobLimits.From(new SandboxLimits { CpuSeconds = 3, Processes = 5, OpenFiles = null, FileSizeBytes = null }), launch.Limits);
        Assert.Contains("TEMP=" + launch.WorkingDirectory + "\0", launch.EnvironmentBlock, StringComparison.Ordinal);
        Assert.EndsWith("\0\0", launch.EnvironmentBlock, StringComparison.Ordinal);

        // read+execute on the read-only roots; modify on the read-write roots and the run's scratch directory
        var grants = host.Grants.Where(g => g.Sid == launch.AppContainer.Sid).ToList();
        Assert.Contains(("/usr", launch.AppContainer.Sid, false), grants);
        Assert.Contains(("/bin", launch.AppContainer.Sid, false), grants);
        Assert.Contains((rw.Path, launch.AppContainer.Sid, true), grants);
        Assert.Contains((launch.WorkingDirectory, launch.AppContainer.Sid, true), grants);
        Assert.False(Directory.Exists(launch.WorkingDirectory)); // the scratch directory is gone after the run
    }

    [Fact]
    public async Task Timeout_terminates_the_job()
    {
        using var host = new FakeWindowsHost { Behave = _ => (0, "started\n", true) };
        await using var broker = Broker(host);

        var result = await broker.RunAsync(Echo() with { Timeout = TimeSpan.FromMilliseconds(200) }, default);

        Assert.True(result.TimedOut);
        Assert.Equal(124, result.ExitCode);
        Assert.Equal("started\n", result.StdoutText);
        Assert.True(host.Children[^1].Terminations >= 1);
    }

    [Fact]
    public async Task Tcp_port_grants_are_refused_because_an_appcontainer_cannot_enforce_them()
    {
        var sink = new RecordingSink();
        using var host = new FakeWindowsHost();
        await using var broker = Broker(host, sink);

        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(Echo() with { Network = SandboxNetwork.TcpConnect(443) }, default));

        Assert.Equal(WindowsJobBackend.PortsRefusal, e.Reason);
        Assert.Equal(e.Reason, Assert.Single(sink.Events.OfType<SandboxRefusal>()).Reason);
        Assert.Empty(host.Launches); // refused before anything started, self-test included
    }

    [Theory]
    [InlineData(256, null, "open files (256)")]
    [InlineData(null, 1048576L, "file size (1048576 bytes)")]
    [InlineData(64, 1L, "open files (64), file size (1 bytes)")]
    public async Task Limits_a_job_object_cannot_enforce_are_refused_never_dropped(int? openFiles, long? fileSize, string named)
    {
        var sink = new RecordingSink();
        using var host = new FakeWindowsHost();
        await using var broker = Broker(host, sink);
        var request = Echo() with { Limits = new SandboxLimits { CpuSeconds = 3, Processes = 5, OpenFiles = openFiles, FileSizeBytes = fileSize } };

        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(request, default));

        Assert.Equal($"the Windows Job Object backend cannot enforce the requested limit(s) {named}; leave them unset in the profile (openFiles: null, fileSizeMb: null) to run on Windows", e.Reason);
        Assert.Equal(e.Reason, Assert.Single(sink.Events.OfType<SandboxRefusal>()).Reason);
        Assert.Empty(host.Launches); // nothing started, not even the self-test
    }

    [Fact]
    public async Task The_built_in_windows_default_profile_and_the_self_test_ask_only_for_enforceable_limits()
    {
        using var host = new FakeWindowsHost();
        await using var broker = Broker(host);
        var profile = SandboxProfiles.BuiltInDefaultFor(SandboxOs.Windows);
        var request = SandboxProfiles.ToRequest("default", profile, new Carapace.Abstractions.Sandbox.SandboxCommand("default", "/bin/echo", []), "plugin:shell")
            with { ReadOnlyRoots = ["/usr", "/bin"] };

        var result = await broker.RunAsync(request, default);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, host.Launches.Count); // the self-test probe ran, then the run
        Assert.Null(profile.OpenFiles);
        Assert.Null(profile.FileSizeMb);
        Assert.NotNull(SandboxProfiles.BuiltInDefaultFor(SandboxOs.Linux).OpenFiles);
    }

    [Fact]
    public async Task No_appcontainer_means_every_run_is_refused()
    {
        var sink = new RecordingSink();
        using var host = new FakeWindowsHost { AppContainerFailure = "could not create or open AppContainer profile 'x' (HRESULT 0x80070005); deny-network runs are blocked" };
        await using var broker = Broker(host, sink);

        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(Echo(), default));

        Assert.Contains("could not create or open AppContainer profile", e.Reason, StringComparison.Ordinal);
        Assert.StartsWith("sandbox self-test failed: ", e.Reason, StringComparison.Ordinal); // the probe could not run either
        Assert.Empty(host.Launches);
        Assert.Single(sink.Events.OfType<SandboxRefusal>());
    }

    [Fact]
    public async Task Self_test_passes_only_when_the_probe_is_denied_access()
    {
        using var host = new FakeWindowsHost();
        await using var broker = Broker(host);

        var selfTest = await broker.EnsureSelfTestAsync();

        Assert.True(selfTest.Passed, selfTest.Detail);
        Assert.Contains("Access is denied", selfTest.Detail, StringComparison.Ordinal);
        Assert.Contains(" type ", host.Launches[0].CommandLine, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unavailable_host_makes_the_backend_unavailable_with_its_reason()
    {
        using var host = new FakeWindowsHost { UnavailableReason = "the Windows backend needs Windows 10 or later" };
        var backend = new WindowsJobBackend(new SandboxOptions(), new SandboxPlatform { Os = SandboxOs.Windows, WindowsHost = host }, new Running.ScratchDirectories(null));

        Assert.False(backend.Status.Available);
        Assert.True(backend.Status.Partial);
        Assert.Equal("the Windows backend needs Windows 10 or later", backend.RefusalFor(Echo()));
        Assert.Contains(backend.Status.Restrictions, r => r.StartsWith("refused on Windows: requests that set open files or file size", StringComparison.Ordinal));
    }

    [Fact]
    public void Profile_names_follow_the_roots_and_fit_windows_limits()
    {
        var a = WindowsJobBackend.ProfileName(Echo());
        var sameRootsOtherOrder = WindowsJobBackend.ProfileName(Echo() with { ReadOnlyRoots = ["/bin", "/usr"] });
        var otherRoots = WindowsJobBackend.ProfileName(Echo("/data"));

        Assert.Equal(a, sameRootsOtherOrder);
        Assert.NotEqual(a, otherRoots);
        Assert.Matches("^carapace\\.sbx\\.[0-9a-f]{32}$", a);
        Assert.True(a.Length <= 64);
    }

    [Fact]
    public async Task An_executable_outside_the_roots_is_rejected_before_anything_starts()
    {
        using var host = new FakeWindowsHost();
        await using var broker = Broker(host);
        await broker.EnsureSelfTestAsync();

        var e = await Assert.ThrowsAsync<InvalidSandboxRequestException>(() => broker.RunAsync(Echo() with { ReadOnlyRoots = ["/etc"] }, default));

        Assert.Contains("is not inside a read-only or read-write root", e.Message, StringComparison.Ordinal);
        Assert.Single(host.Launches); // the self-test probe only
    }
}
