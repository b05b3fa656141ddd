namespace Carapace.Sandbox.Tests.Linux;

[Collection(SandboxCollection.Name)]
public sealed class FilesystemEscapeTests(SandboxFixture fx)
{
    [Fact]
    public async Task Reading_a_canary_outside_the_roots_is_denied()
    {
        using var dir = new WorldDir();
        var secret = "canary-" + Guid.NewGuid().ToString("N");
        var canary = dir.File("canary.txt", secret);

        var denied = await fx.Broker.RunAsync(SandboxFixture.Request("/bin/cat", canary), default);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("Permission denied", denied.StderrText, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, denied.StdoutText, StringComparison.Ordinal);

        // Control: the same file under a granted read-only root is readable, so the denial above was the sandbox's.
        var allowed = await fx.Broker.RunAsync(SandboxFixture.Request("/bin/cat", canary) with
        {
            ReadOnlyRoots = [.. SandboxFixture.Request("/bin/cat").ReadOnlyRoots, dir.Path],
        }, default);
        Assert.Equal(0, allowed.ExitCode);
        Assert.Equal(secret, allowed.StdoutText);
    }

    [Fact]
    public async Task Writing_outside_the_read_write_roots_is_denied()
    {
        using var dir = new WorldDir((UnixFileMode)0b111_111_111);
        var target = Path.Combine(dir.Path, "new.txt");

        var denied = await fx.Broker.RunAsync(SandboxFixture.Shell($"echo pwned > '{target}'"), default);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.StderrText, StringComparison.Ordinal);
        Assert.False(File.Exists(target));

        var allowed = await fx.Broker.RunAsync(SandboxFixture.Shell($"echo ok > '{target}'") with { ReadWriteRoots = [dir.Path] }, default);
        Assert.Equal(0, allowed.ExitCode);
        Assert.Equal("ok\n", File.ReadAllText(target));
    }

    [Fact]
    public async Task Truncating_a_file_outside_the_read_write_roots_is_denied_even_when_readable()
    {
        using var dir = new WorldDir();
        var victim = dir.File("victim.txt", "fourteen bytes", (UnixFileMode)0b110_110_110);
        var readOnly = SandboxFixture.Request("/bin/true").ReadOnlyRoots.Append(dir.Path).ToList();

        // truncate(2) by path needs only LANDLOCK_ACCESS_FS_TRUNCATE: the upstream's v1 mask let it through.
        var perl = await fx.Broker.RunAsync(SandboxFixture.Request("/usr/bin/perl", "-e", "truncate($ARGV[0], 0) or die qq(truncate: $!\\n)", victim) with
        {
            ReadOnlyRoots = readOnly,
        }, default);
        Assert.NotEqual(0, perl.ExitCode);
        Assert.Contains("truncate: Permission denied", perl.StderrText, StringComparison.Ordinal);

        var coreutils = await fx.Broker.RunAsync(SandboxFixture.Request("/usr/bin/truncate", "-s", "0", victim) with { ReadOnlyRoots = readOnly }, default);
        Assert.NotEqual(0, coreutils.ExitCode);
        Assert.Contains("Permission denied", coreutils.StderrText, StringComparison.Ordinal);

        Assert.Equal("fourteen bytes", File.ReadAllText(victim));
    }

    [Fact]
    public async Task Host_process_environ_is_unreadable_even_with_proc_granted()
    {
        var path = $"/proc/{Environment.ProcessId}/environ";

        var noProc = await fx.Broker.RunAsync(SandboxFixture.Request("/bin/cat", path), default);
        Assert.Equal(1, noProc.ExitCode);
        Assert.Contains("Permission denied", noProc.StderrText, StringComparison.Ordinal);
        Assert.Empty(noProc.Stdout.ToArray());

        // Even when an operator grants /proc, the per-run uid and Landlock's ptrace scoping keep it closed.
        var withProc = await fx.Broker.RunAsync(SandboxFixture.Request("/bin/cat", path) with
        {
            ReadOnlyRoots = [.. SandboxFixture.Request("/bin/cat").ReadOnlyRoots, "/proc"],
        }, default);
        Assert.Equal(1, withProc.ExitCode);
        Assert.Contains("Permission denied", withProc.StderrText, StringComparison.Ordinal);
        Assert.Empty(withProc.Stdout.ToArray());
    }

    [Fact]
    public async Task Default_profile_has_no_proc_no_shared_tmp_and_no_home()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var result = await fx.Broker.RunAsync(SandboxFixture.Shell($"ls /proc; ls /tmp; ls '{home}'; echo scratch=$HOME; touch \"$HOME/ok\" && echo wrote"), default);
        var lines = result.StderrText;
        Assert.Contains("cannot open directory '/proc': Permission denied", lines, StringComparison.Ordinal);
        Assert.Contains("cannot open directory '/tmp': Permission denied", lines, StringComparison.Ordinal);
        Assert.Contains($"cannot open directory '{home}': Permission denied", lines, StringComparison.Ordinal);
        Assert.Contains("wrote", result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain($"scratch={home}\n", result.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_setuid_binary_gains_nothing()
    {
        Assert.True(SandboxFixture.IsRoot, "this test creates a setuid-root copy of id and needs root");
        using var dir = new WorldDir(parent: SuidCapableDirectory());
        var id = Path.Combine(dir.Path, "id-suid");
        File.Copy("/usr/bin/id", id);
        File.SetUnixFileMode(id, (UnixFileMode)0b100_111_101_101); // 04755, owned by root

        // Control: outside the sandbox the copy does escalate an unprivileged user, so the check below can fail.
        using var control = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv",
            ["--reuid", "65534", "--regid", "65534", "--clear-groups", id]) { RedirectStandardOutput = true })!;
        var escalated = await control.StandardOutput.ReadToEndAsync();
        Assert.StartsWith("uid=65534", escalated, StringComparison.Ordinal);
        Assert.Contains(" euid=0(root)", escalated, StringComparison.Ordinal);

        var result = await fx.Broker.RunAsync(SandboxFixture.Request(id) with
        {
            ReadOnlyRoots = [.. SandboxFixture.Request(id).ReadOnlyRoots, dir.Path],
        }, default);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("uid=", result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("euid=", result.StdoutText, StringComparison.Ordinal); // id prints euid= only when it differs
        Assert.DoesNotContain("uid=0(", result.StdoutText, StringComparison.Ordinal);
    }

    /// <summary>The temp dir, unless it is mounted nosuid (then setuid proves nothing there): the test output dir.</summary>
    private static string SuidCapableDirectory()
    {
        foreach (var candidate in new[] { Path.GetTempPath(), AppContext.BaseDirectory })
        {
            if (!MountOptions(candidate).Contains("nosuid"))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("neither the temp dir nor the test output dir allows setuid; the setuid test cannot show anything");
    }

    /// <summary>The per-mount options of the mount holding <paramref name="path"/> (/proc/self/mountinfo, longest mount point).</summary>
    private static HashSet<string> MountOptions(string path)
    {
        var real = Carapace.Sandbox.Linux.LinuxNative.RealPath(path) ?? path;
        var best = (Length: -1, Options: new HashSet<string>());
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
            if (Carapace.Sandbox.Policy.RequestValidator.IsInside(real, mountPoint, StringComparison.Ordinal) && mountPoint.Length > best.Length)
            {
                best = (mountPoint.Length, fields[5].Split(',').ToHashSet());
            }
        }

        return best.Options;
    }
}
