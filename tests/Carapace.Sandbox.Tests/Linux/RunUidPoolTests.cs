using System.Diagnostics;
using System.Globalization;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Linux;
using Carapace.Testing;

namespace Carapace.Sandbox.Tests.Linux;

/// <summary>Per-run uids are reserved machine-wide with flock(2), so two brokers never share one.</summary>
public sealed class RunUidPoolTests : IDisposable
{
    // Far from the production range (0x70000000) and from every other test's uids.
    private static readonly uint Base = 0x6A000000 + ((uint)Random.Shared.Next(0, 0x10000) * 16);

    private readonly TempDirectory _temp = new();

    private string Locks => Path.Combine(_temp.Path, "uids");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Two_pools_over_the_same_directory_never_hand_out_the_same_uid()
    {
        var first = new RunUidPool(Base, 1, Locks, _ => true);
        var second = new RunUidPool(Base, 1, Locks, _ => true);

        var uid = first.Rent();

        var e = Assert.Throws<SandboxUnavailableException>(() => second.Rent());
        Assert.Contains("is in use", e.Reason, StringComparison.Ordinal);
        first.Return(uid, clean: true);
        Assert.Equal(uid, second.Rent());
    }

    [Fact]
    public void Concurrent_rents_across_pools_are_all_distinct()
    {
        var pools = Enumerable.Range(0, 4).Select(_ => new RunUidPool(Base, 64, Locks, _ => true)).ToList();

        var uids = pools.AsParallel().SelectMany(p => Enumerable.Range(0, 16).Select(_ => p.Rent()).ToList()).ToList();

        Assert.Equal(64, uids.Distinct().Count());
    }

    [Fact]
    public async Task Two_pools_in_two_processes_never_share_a_uid()
    {
        using var helper = StartHelper(Locks, count: 4, rents: 3);
        var theirs = await ReadRentedAsync(helper);
        var ours = new RunUidPool(Base, 4, Locks, _ => true);

        var mine = ours.Rent();
        var full = Assert.Throws<SandboxUnavailableException>(() => ours.Rent());

        Assert.Equal(3, theirs.Count);
        Assert.DoesNotContain(mine, theirs);
        Assert.Equal(4, theirs.Append(mine).Distinct().Count());
        Assert.Contains("is in use", full.Reason, StringComparison.Ordinal);

        // The other broker exits: its reservations go with it.
        helper.StandardInput.Close();
        await helper.WaitForExitAsync();
        Assert.Equal(0, helper.ExitCode);
        Assert.Contains(ours.Rent(), theirs);
    }

    [Fact]
    public async Task A_crashed_brokers_leftover_processes_are_killed_before_the_uid_is_reused()
    {
        Assert.True(LinuxNative.GetEuid() == 0, "running a process as another uid needs root");
        using var helper = StartHelper(Locks, count: 1, rents: 1);
        var uid = Assert.Single(await ReadRentedAsync(helper));
        var uidText = uid.ToString(CultureInfo.InvariantCulture);
        using var leftover = Process.Start("/usr/bin/setpriv", ["--reuid", uidText, "--regid", uidText, "--clear-groups", "/bin/sleep", "300"]);
        await Carapace.Testing.Poll.UntilAsync(() => ProcessSweeper.AnyAlive(uid), TimeSpan.FromSeconds(10), "the leftover process to run as the uid");

        helper.Kill(); // SIGKILL: no Return, the lock file still says busy
        await helper.WaitForExitAsync();
        var rented = new RunUidPool(Base, 1, Locks).Rent(); // the real sweep

        Assert.Equal(uid, rented);
        Assert.False(ProcessSweeper.AnyAlive(uid));
    }

    [Fact]
    public async Task The_sweep_reads_the_real_uid_and_a_process_name_cannot_fake_it()
    {
        Assert.True(LinuxNative.GetEuid() == 0, "running a process as another uid needs root");
        Assert.Equal(0u, ProcessSweeper.RealUid(Environment.ProcessId));
        Assert.Null(ProcessSweeper.RealUid(int.MaxValue)); // no such process

        // A name with a newline and "Uid:" in it (the kernel escapes it in /proc/<pid>/status).
        var dir = Directory.CreateTempSubdirectory("carapace-sweep-");
        try
        {
            var fake = Path.Combine(dir.FullName, "s\nUid:\t4242");
            File.CreateSymbolicLink(fake, "/bin/sleep");
            using var named = Process.Start(fake, ["300"]);
            using var other = Process.Start("/usr/bin/setpriv", ["--reuid", "4243", "--regid", "4243", "--clear-groups", "/bin/sleep", "300"]);
            try
            {
                await Carapace.Testing.Poll.UntilAsync(() => ProcessSweeper.RealUid(other.Id) == 4243, TimeSpan.FromSeconds(10), "setpriv to exec sleep as 4243");
                Assert.Equal(0u, ProcessSweeper.RealUid(named.Id));
                Assert.False(ProcessSweeper.AnyAlive(4242));

                Assert.True(ProcessSweeper.SweepUntilGone(4243, TimeSpan.FromSeconds(5)));
                Assert.True(other.WaitForExit(TimeSpan.FromSeconds(10)));
                Assert.False(named.HasExited); // only the uid's processes are killed
            }
            finally
            {
                named.Kill();
                other.Kill();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_clean_return_needs_no_sweep_but_a_dirty_one_does()
    {
        var swept = new List<uint>();
        var pool = new RunUidPool(Base, 1, Locks, uid => { swept.Add(uid); return true; });

        var uid = pool.Rent();                 // new lock file: swept
        pool.Return(uid, clean: true);
        pool.Return(pool.Rent(), clean: false); // clean file: not swept
        pool.Rent();                           // left busy: swept again

        Assert.Equal([uid, uid], swept);
    }

    [Fact]
    public void A_uid_whose_processes_survive_the_sweep_is_refused()
    {
        var pool = new RunUidPool(Base, 1, Locks, _ => false);

        var e = Assert.Throws<SandboxUnavailableException>(() => pool.Rent());

        Assert.Equal($"processes of per-run uid {Base} survived the sweep before reuse", e.Reason);
    }

    [Fact]
    public void A_foreign_owned_lock_directory_is_refused()
    {
        Directory.CreateDirectory(Locks, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, LinuxNative.LChown(Locks, 65534, 65534));

        var e = Assert.Throws<SandboxUnavailableException>(() => new RunUidPool(Base, 1, Locks, _ => true).Rent());

        Assert.Equal($"uid lock directory '{Locks}' is owned by uid 65534, not {LinuxNative.GetEuid()}; refusing to use it", e.Reason);
    }

    [Theory]
    [InlineData(0b111_111_111, "777")]
    [InlineData(0b111_101_000, "750")]
    public void A_lock_directory_others_can_reach_is_refused(int mode, string octal)
    {
        Directory.CreateDirectory(Locks);
        File.SetUnixFileMode(Locks, (UnixFileMode)mode);

        var e = Assert.Throws<SandboxUnavailableException>(() => new RunUidPool(Base, 1, Locks, _ => true).Rent());

        Assert.Equal($"uid lock directory '{Locks}' has mode {octal}; it must be 0700 (no group or other access); refusing to use it", e.Reason);
    }

    [Fact]
    public void A_symlinked_lock_directory_is_refused()
    {
        var real = Path.Combine(_temp.Path, "real");
        Directory.CreateDirectory(real, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Locks, real);

        var e = Assert.Throws<SandboxUnavailableException>(() => new RunUidPool(Base, 1, Locks, _ => true).Rent());

        Assert.Contains("is not a directory (a symbolic link?); refusing to use it", e.Reason, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(real));
    }

    [Fact]
    public void A_symlinked_lock_file_is_refused_not_followed()
    {
        var victim = Path.Combine(_temp.Path, "victim");
        File.WriteAllText(victim, "untouched");
        Directory.CreateDirectory(Locks, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(Locks, Base.ToString(CultureInfo.InvariantCulture)), victim);

        var e = Assert.Throws<SandboxUnavailableException>(() => new RunUidPool(Base, 4, Locks, _ => true).Rent());

        Assert.Equal($"uid lock file '{Path.Combine(Locks, Base.ToString(CultureInfo.InvariantCulture))}' is a symbolic link; refusing to use it", e.Reason);
        Assert.Equal("untouched", File.ReadAllText(victim));
    }

    [Fact]
    public void Other_errors_are_refusals_not_a_busy_uid()
    {
        Directory.CreateDirectory(Path.Combine(Locks, Base.ToString(CultureInfo.InvariantCulture)));
        File.SetUnixFileMode(Locks, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var e = Assert.Throws<SandboxUnavailableException>(() => new RunUidPool(Base, 4, Locks, _ => true).Rent());

        Assert.StartsWith($"cannot open uid lock file '{Path.Combine(Locks, Base.ToString(CultureInfo.InvariantCulture))}': ", e.Reason, StringComparison.Ordinal);
    }

    private static Process StartHelper(string directory, uint count, int rents)
    {
        var muxer = LauncherLocator.FindMuxer() ?? throw new InvalidOperationException("dotnet host not found");
        var psi = new ProcessStartInfo(muxer)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "exec", typeof(Program).Assembly.Location, "uid-pool", directory, Base.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), rents.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    private static async Task<List<uint>> ReadRentedAsync(Process helper)
    {
        var uids = new List<uint>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await helper.StandardOutput.ReadLineAsync(timeout.Token) is { } line && line != "ready")
        {
            Assert.False(line.StartsWith("refused", StringComparison.Ordinal), line);
            uids.Add(uint.Parse(line, CultureInfo.InvariantCulture));
        }

        return uids;
    }
}
