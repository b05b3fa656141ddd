using System.Collections.Concurrent;
using System.Diagnostics;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests.Linux;

/// <summary>Post-run sweeps are coalesced, but every uid is swept before it is returned, and failures leave it busy.</summary>
public sealed class BatchedUidSweeperTests
{
    [Fact]
    public async Task Runs_ending_together_share_one_sweep_and_every_uid_is_returned_clean()
    {
        var sweeps = new ConcurrentQueue<uint[]>();
        var returned = new ConcurrentDictionary<uint, bool>();
        var sweeper = new BatchedUidSweeper((uids, _) => { sweeps.Enqueue([.. uids]); return new HashSet<uint>(); }, (uid, clean) => returned[uid] = clean);

        sweeper.Enqueue(1);
        sweeper.Enqueue(2);
        sweeper.Enqueue(3);
        Assert.Empty(returned); // nothing is handed back before its sweep ran
        await sweeper.FlushAsync();

        Assert.Equal([1u, 2u, 3u], sweeps.Single().Order());
        Assert.Equal(3, returned.Count);
        Assert.All(returned.Values, Assert.True);
    }

    private static readonly AsyncLocal<object?> CallerState = new();

    [Fact]
    public async Task The_sweep_does_not_carry_the_callers_execution_context()
    {
        // A plugin's call flow must not be captured by the pump: it would pin the plugin's load context.
        object? seen = "not called";
        var sweeper = new BatchedUidSweeper((_, _) => { seen = CallerState.Value; return new HashSet<uint>(); }, (_, _) => { });
        CallerState.Value = new object();

        sweeper.Enqueue(5);
        await sweeper.FlushAsync();

        Assert.Null(seen);
    }

    [Fact]
    public async Task Survivors_and_a_failing_sweep_leave_the_uid_busy()
    {
        var returned = new ConcurrentDictionary<uint, bool>();
        var calls = 0;
        var sweeper = new BatchedUidSweeper((uids, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                return new HashSet<uint> { 7 };
            }

            throw new IOException("proc went away");
        }, (uid, clean) => returned[uid] = clean);

        sweeper.Enqueue(7);
        sweeper.Enqueue(8);
        await sweeper.FlushAsync();
        sweeper.Enqueue(9); // the pump survived the failure below and serves later uids
        await sweeper.FlushAsync();

        Assert.False(returned[7]);
        Assert.True(returned[8]);
        Assert.False(returned[9]);
    }

    [Fact]
    public async Task The_real_sweep_kills_the_processes_of_every_uid_in_the_batch_and_nothing_else()
    {
        Assert.True(LinuxNative.GetEuid() == 0, "running a process as another uid needs root");
        using var a = Process.Start("/usr/bin/setpriv", ["--reuid", "4251", "--regid", "4251", "--clear-groups", "/bin/sleep", "300"]);
        using var b = Process.Start("/usr/bin/setpriv", ["--reuid", "4252", "--regid", "4252", "--clear-groups", "/bin/sleep", "300"]);
        using var bystander = Process.Start("/usr/bin/setpriv", ["--reuid", "4253", "--regid", "4253", "--clear-groups", "/bin/sleep", "300"]);
        try
        {
            await Carapace.Testing.Poll.UntilAsync(() => ProcessSweeper.RealUid(a.Id) == 4251 && ProcessSweeper.RealUid(b.Id) == 4252 && ProcessSweeper.RealUid(bystander.Id) == 4253,
                TimeSpan.FromSeconds(10), "the three processes to run as their uids");

            var survivors = ProcessSweeper.SweepUntilGone([4251u, 4252u], TimeSpan.FromSeconds(5));

            Assert.Empty(survivors);
            Assert.True(a.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.True(b.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.False(bystander.HasExited);
        }
        finally
        {
            a.Kill();
            b.Kill();
            bystander.Kill();
        }
    }
}
