using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Diagnostics;
using Carapace.Sandbox.Exec.Protocol;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests.Linux;

[Collection(SandboxCollection.Name)]
public sealed class FailClosedTests
{
    private static SandboxRequest Probe => SandboxFixture.Request("/bin/true");

    private static async Task<SandboxUnavailableException> RefusedAsync(SandboxOptions options, SandboxPlatform platform, SandboxRequest? request = null)
    {
        var sink = new RecordingSink();
        await using var broker = new SandboxBroker(options, sink, null, platform);
        var e = await Assert.ThrowsAnyAsync<SandboxUnavailableException>(() => broker.RunAsync(request ?? Probe, default));
        var refusal = Assert.Single(sink.Events.OfType<SandboxRefusal>());
        Assert.Equal(e.Reason, refusal.Reason);
        return e;
    }

    [Fact]
    public async Task Unsupported_os_is_refused()
    {
        var e = await RefusedAsync(new SandboxOptions(), new SandboxPlatform { Os = SandboxOs.Other });

        Assert.IsType<SandboxUnsupportedException>(e);
        Assert.Contains("no sandbox backend exists for this operating system", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Landlock_abi_3_with_network_deny_is_refused()
    {
        var e = await RefusedAsync(new SandboxOptions(), new SandboxPlatform { ProbeLandlock = () => LandlockStatus.Available(3) });

        Assert.Contains("Landlock ABI 3 cannot restrict the network", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task A_nonsensical_landlock_abi_is_refused(int abi)
    {
        var e = await RefusedAsync(new SandboxOptions(), new SandboxPlatform { ProbeLandlock = () => LandlockStatus.Available(abi) });

        Assert.Equal($"Landlock is unavailable: the kernel reported Landlock ABI {abi}, which is not a valid ABI (< 1)", e.Reason);
    }

    [Fact]
    public async Task A_kernel_abi_newer_than_the_launcher_knows_is_used_at_the_known_abi_and_reported()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null,
            new SandboxPlatform { ProbeLandlock = () => LandlockStatus.Available(LandlockAbi.KnownAbi + 3, errata: 0x7) });

        var report = await new SandboxDiagnostics(broker).CheckAsync();

        Assert.False(report.RunsRefused, report.RefusalReason);
        Assert.Equal(LandlockAbi.KnownAbi + 3, report.LandlockAbi);
        Assert.Equal(LandlockAbi.KnownAbi, report.LandlockKnownAbi);
        Assert.Equal(LandlockAbi.KnownAbi, report.LandlockEffectiveAbi);
        Assert.Contains(report.Restrictions, r => r == $"landlock-abi: the kernel's ABI {LandlockAbi.KnownAbi + 3} is newer than the launcher knows ({LandlockAbi.KnownAbi}); every right of ABI {LandlockAbi.KnownAbi} is handled, rights added later are not");
        Assert.Contains(report.Restrictions, r => r.StartsWith("landlock-fs (handled mask 0x1ffff", StringComparison.Ordinal));
        Assert.Contains("landlock-errata 0x7: every known erratum for this ABI is fixed", report.Restrictions);
    }

    [Fact]
    public void Missing_errata_are_named_for_the_abi_they_apply_to()
    {
        Assert.Equal("landlock-errata 0x0: erratum 3 not fixed: rename/link through a disconnected directory can widen rights (kernel bug, no user-space fix)",
            LandlockErrata.Describe(3, 0));
        var abi7 = LandlockErrata.Describe(7, 0x4)!;
        Assert.Contains("erratum 1 not fixed", abi7, StringComparison.Ordinal);
        Assert.Contains("erratum 2 not fixed", abi7, StringComparison.Ordinal);
        Assert.DoesNotContain("erratum 3", abi7, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_landlock_is_refused()
    {
        var e = await RefusedAsync(new SandboxOptions(), new SandboxPlatform { ProbeLandlock = () => new LandlockStatus(0, 0, "Landlock is disabled at boot (EOPNOTSUPP)") });

        Assert.Contains("Landlock is unavailable: Landlock is disabled at boot", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_launcher_is_refused()
    {
        var e = await RefusedAsync(new SandboxOptions { LauncherPath = "/nonexistent/carapace-sandbox-exec" }, SandboxPlatform.Current);

        Assert.Equal("sandbox launcher '/nonexistent/carapace-sandbox-exec' does not exist", e.Reason);
    }

    [Fact]
    public async Task Non_executable_launcher_is_refused()
    {
        using var dir = new WorldDir();
        var copy = Path.Combine(dir.Path, "carapace-sandbox-exec");
        File.WriteAllText(copy, "not a program");
        File.SetUnixFileMode(copy, (UnixFileMode)0b110_100_100);

        var e = await RefusedAsync(new SandboxOptions { LauncherPath = copy }, SandboxPlatform.Current);

        Assert.Equal($"sandbox launcher '{copy}' is not executable", e.Reason);
    }

    [Fact]
    public async Task Launcher_syscall_failure_is_refused_with_the_step()
    {
        var request = Probe with { ReadWriteRoots = ["/nonexistent-carapace-root"] };

        var e = await RefusedAsync(new SandboxOptions(), SandboxPlatform.Current, request);

        Assert.Equal("sandbox launcher failed at 'landlock_add_rule': sandbox root '/nonexistent-carapace-root' does not exist", e.Reason);
    }

    [Fact]
    public async Task Launcher_that_does_not_confine_fails_the_self_test_and_every_run_is_refused()
    {
        // A "launcher" that never emits the confined marker: the self-test cannot pass, so nothing runs.
        var (selfTest, e) = await WithFakeLauncherAsync("exec /bin/cat /etc/hostname\n");

        Assert.False(selfTest.Passed);
        Assert.StartsWith("sandbox launcher exited 0 before confining the process", selfTest.Detail, StringComparison.Ordinal);
        Assert.StartsWith("sandbox self-test failed: ", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Self_test_fails_when_the_probe_fails_for_any_reason_but_a_permission_error()
    {
        // Confined (it sends the marker), but the probe fails with ENOENT: that proves nothing about the sandbox.
        var (selfTest, e) = await WithFakeLauncherAsync("printf '\\006'\necho 'cat: canary: No such file or directory' >&2\nexit 1\n");

        Assert.False(selfTest.Passed);
        Assert.Equal("the confined probe failed, but not with a permission error (exit 1: cat: canary: No such file or directory)", selfTest.Detail);
        Assert.StartsWith("sandbox self-test failed: the confined probe failed, but not with a permission error", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_io_error_while_preparing_a_run_is_an_audited_refusal()
    {
        using var dir = new WorldDir();
        var root = Path.Combine(dir.Path, "scratch");
        var sink = new RecordingSink();
        await using var broker = new SandboxBroker(new SandboxOptions { ScratchRoot = root }, sink, null, SandboxPlatform.Current);
        Assert.True((await broker.EnsureSelfTestAsync()).Passed);

        // The scratch root turns into a file: creating the run's directory under it fails with an IOException.
        Directory.Delete(root, recursive: true);
        File.WriteAllText(root, "not a directory");
        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(Probe, default));

        Assert.True(e.Reason.StartsWith("the sandbox could not be set up: ", StringComparison.Ordinal), e.Reason);
        Assert.Contains(root, e.Reason, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(e.InnerException);
        var refusal = Assert.Single(sink.Events.OfType<SandboxRefusal>());
        Assert.Equal(e.Reason, refusal.Reason);
        Assert.Equal("/bin/true", refusal.Executable);
        Assert.DoesNotContain(sink.Events.OfType<SandboxRunSummary>(), r => r.Executable == "/bin/true");
    }

    [Fact]
    public async Task Executable_outside_every_root_is_rejected()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null, SandboxPlatform.Current);
        var request = Probe with { ReadOnlyRoots = ["/etc"] };

        var e = await Assert.ThrowsAsync<InvalidSandboxRequestException>(() => broker.RunAsync(request, default));

        Assert.Contains("is not inside a read-only or read-write root", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnostics_report_what_this_machine_enforces()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null, SandboxPlatform.Current);

        var report = await new SandboxDiagnostics(broker).CheckAsync();

        Assert.Equal("linux", report.Os);
        Assert.Equal("linux-landlock", report.Backend);
        Assert.True(report.LandlockAbi >= 4);
        Assert.Equal(Carapace.Testing.Toolchain.ClangOnPath ? LauncherLocator.NativeAot : LauncherLocator.FrameworkDependent, report.LauncherKind);
        Assert.True(File.Exists(report.LauncherPath));
        Assert.Equal("passed", report.SelfTest);
        Assert.False(report.RunsRefused);
        Assert.Contains(report.Restrictions, r => r.StartsWith("landlock-fs", StringComparison.Ordinal));
        Assert.Contains(report.Restrictions, r => r.StartsWith("seccomp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Diagnostics_say_runs_are_refused_when_the_abi_is_too_old()
    {
        await using var broker = new SandboxBroker(new SandboxOptions(), null, null, new SandboxPlatform { ProbeLandlock = () => LandlockStatus.Available(3) });

        var report = await new SandboxDiagnostics(broker).CheckAsync();

        Assert.True(report.RunsRefused);
        Assert.Equal(3, report.LandlockAbi);
        Assert.Equal("failed", report.SelfTest);
        Assert.Contains("cannot restrict the network", report.RefusalReason, StringComparison.Ordinal);
    }

    /// <summary>A broker whose "launcher" is a shell script: its self-test outcome and the refusal of a run.</summary>
    private static async Task<(SandboxSelfTest SelfTest, SandboxUnavailableException Refusal)> WithFakeLauncherAsync(string script)
    {
        using var dir = new WorldDir();
        var fake = Path.Combine(dir.Path, "fake-launcher");
        File.WriteAllText(fake, "#!/bin/sh\n" + script);
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
        await using var broker = new SandboxBroker(new SandboxOptions { LauncherPath = fake }, null, null, SandboxPlatform.Current);

        var selfTest = await broker.EnsureSelfTestAsync();
        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => broker.RunAsync(Probe, default));
        return (selfTest, e);
    }
}
