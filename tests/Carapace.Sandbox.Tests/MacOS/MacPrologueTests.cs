using System.Diagnostics;
using System.Globalization;
using Carapace.Sandbox.MacOS;
using Carapace.Testing;

namespace Carapace.Sandbox.Tests.MacOS;

/// <summary>
/// The macOS prologue really run, on Linux: bash (macOS's /bin/sh is bash) and the system perl, with a
/// stand-in for sandbox-exec that checks it got the profile file and execs the target. Proves the run is
/// its own session and process group (the broker kills -pid) and that SIGPIPE is no longer ignored.
/// </summary>
public sealed class MacPrologueTests
{
    [Fact]
    public async Task The_run_leads_its_own_session_and_group_with_limits_set_and_sigpipe_reset()
    {
        using var dir = new TempDirectory();
        var fakeSandboxExec = Path.Combine(dir.Path, "sandbox-exec");
        await File.WriteAllTextAsync(fakeSandboxExec, "#!/bin/sh\n[ \"$1\" = -f ] && [ -s \"$2\" ] || exit 99\nshift 2\nexec \"$@\"\n");
        File.SetUnixFileMode(fakeSandboxExec, (UnixFileMode)0b111_101_101);
        // cat changes no signal state, so it reports what the prologue left (dispositions and mask survive exec).
        var request = new SandboxRequest
        {
            Executable = "/bin/cat",
            Arguments = ["/proc/self/stat", "/proc/self/status", "/proc/self/limits"],
            Limits = new SandboxLimits { CpuSeconds = 7, OpenFiles = 77, Processes = 4096 },
        };

        var psi = MacSeatbeltBackend.StartInfo(request, dir.Path, ["/usr", "/bin"], [dir.Path], _ => null, out var profile, out var profilePath,
            sandboxExec: fakeSandboxExec, perl: "/usr/bin/perl");
        await File.WriteAllTextAsync(profilePath, profile);
        psi.FileName = "/bin/bash";
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var stat = lines[0][(lines[0].LastIndexOf(')') + 2)..].Split(' '); // state ppid pgrp session ...
        Assert.StartsWith($"{process.Id} (cat)", lines[0], StringComparison.Ordinal); // exec all the way: the broker's pid is the target
        Assert.Equal(process.Id, int.Parse(stat[2], CultureInfo.InvariantCulture)); // process group leader: kill(-pid) reaches the run
        Assert.Equal(process.Id, int.Parse(stat[3], CultureInfo.InvariantCulture)); // session leader
        Assert.Equal(0UL, SignalMask(lines, "SigIgn:") & (1UL << (13 - 1))); // SIGPIPE not ignored
        Assert.Equal(0UL, SignalMask(lines, "SigBlk:"));
        Assert.Matches(@"^Max cpu time\s+7\s+7\s+seconds", lines.Single(l => l.StartsWith("Max cpu time", StringComparison.Ordinal)));
        Assert.Matches(@"^Max open files\s+77\s+77\s+files", lines.Single(l => l.StartsWith("Max open files", StringComparison.Ordinal)));
        Assert.Matches(@"^Max core file size\s+0\s+0\s+bytes", lines.Single(l => l.StartsWith("Max core file size", StringComparison.Ordinal)));
        Assert.Contains("(allow process-exec (subpath \"/usr\") (subpath \"/bin\")", profile, StringComparison.Ordinal);
        Assert.Equal("/bin/cat", psi.ArgumentList[3]);
        Assert.Equal(dir.Path, psi.Environment["HOME"]);

        // Control: a plain child of this .NET process inherits the runtime's ignored SIGPIPE, so the check above can fail.
        using var plain = Process.Start(new ProcessStartInfo("/bin/grep", ["^SigIgn:", "/proc/self/status"]) { RedirectStandardOutput = true })!;
        var plainIgnored = SignalMask([await plain.StandardOutput.ReadToEndAsync()], "SigIgn:");
        Assert.NotEqual(0UL, plainIgnored & (1UL << (13 - 1)));
    }

    [Fact]
    public async Task A_failing_limit_is_exit_125_before_anything_runs()
    {
        using var dir = new TempDirectory();
        var request = new SandboxRequest { Executable = "/bin/echo", Arguments = ["ran"], Limits = new SandboxLimits { OpenFiles = int.MaxValue } };
        var psi = MacSeatbeltBackend.StartInfo(request, dir.Path, ["/bin"], [dir.Path], _ => null, out _, out _, sandboxExec: "/bin/false", perl: "/usr/bin/perl");
        psi.FileName = "/bin/bash";
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;

        using var process = Process.Start(psi)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(125, process.ExitCode); // raising NOFILE above the hard limit fails, and the run stops there
        Assert.Empty(stdout);
    }

    private static ulong SignalMask(IEnumerable<string> lines, string key) =>
        ulong.Parse(lines.First(l => l.StartsWith(key, StringComparison.Ordinal))[key.Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
