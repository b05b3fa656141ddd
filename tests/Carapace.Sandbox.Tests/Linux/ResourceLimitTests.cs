using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests.Linux;

[Collection(SandboxCollection.Name)]
public sealed class ResourceLimitTests(SandboxFixture fx)
{
    [Fact]
    public async Task Fork_bomb_is_stopped_by_the_process_limit()
    {
        var request = SandboxFixture.Shell("f() { f | f & }; f; sleep 1; echo survived") with
        {
            Limits = new SandboxLimits { Processes = 16, CpuSeconds = 5 },
            Timeout = TimeSpan.FromSeconds(4),
        };

        var result = await fx.Broker.RunAsync(request, default);

        Assert.Contains("Cannot fork", result.StderrText, StringComparison.Ordinal);
        var run = fx.Events.LastRun!;
        if (run.RunUid is { } uid)
        {
            // Nothing of the run survives it, group leavers included.
            Assert.True(await Poll.UntilAsync(() => !ProcessSweeper.AnyAlive(uid), TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task Cpu_spin_is_killed_by_the_cpu_limit()
    {
        var request = SandboxFixture.Shell("while :; do :; done") with
        {
            Limits = new SandboxLimits { CpuSeconds = 1 },
            Timeout = TimeSpan.FromSeconds(30),
        };

        var result = await fx.Broker.RunAsync(request, default);

        Assert.False(result.TimedOut);
        Assert.Contains(result.ExitCode, new[] { 128 + 9, 128 + 24 }); // SIGKILL at the hard limit or SIGXCPU
        Assert.True(result.Duration < TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Child_cannot_raise_its_limits()
    {
        var cpu = await fx.Broker.RunAsync(SandboxFixture.Shell("ulimit -t unlimited && echo raised"), default);
        Assert.NotEqual(0, cpu.ExitCode);
        Assert.Contains("Operation not permitted", cpu.StderrText, StringComparison.Ordinal);
        Assert.DoesNotContain("raised", cpu.StdoutText, StringComparison.Ordinal);

        var files = await fx.Broker.RunAsync(SandboxFixture.Shell("ulimit -H -n 100000 && echo raised"), default);
        Assert.NotEqual(0, files.ExitCode);
        Assert.Contains("Operation not permitted", files.StderrText, StringComparison.Ordinal);

        var shown = await fx.Broker.RunAsync(SandboxFixture.Bash("ulimit -S -t; ulimit -H -t; ulimit -S -u; ulimit -H -u; ulimit -c"), default);
        Assert.Equal("10\n10\n64\n64\n0\n", shown.StdoutText);
    }

    [Fact]
    public async Task File_size_limit_applies()
    {
        var request = SandboxFixture.Shell("head -c 2000000 /dev/zero > \"$HOME/big\"; echo status=$?; wc -c < \"$HOME/big\"") with
        {
            Limits = new SandboxLimits { FileSizeBytes = 1024 * 1024 },
        };

        var result = await fx.Broker.RunAsync(request, default);

        Assert.Contains("status=153", result.StdoutText, StringComparison.Ordinal); // SIGXFSZ (reset to default)
        Assert.Contains("1048576", result.StdoutText, StringComparison.Ordinal);
    }
}
