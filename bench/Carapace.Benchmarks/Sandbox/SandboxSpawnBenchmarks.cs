using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;

namespace Carapace.Benchmarks.Sandbox;

/// <summary>
/// Spawn latency of /bin/true: plain Process.Start vs the sandbox broker (launcher + Landlock + seccomp +
/// rlimits + per-run scratch dir) vs bubblewrap with an equivalent policy. The three are interleaved in
/// one process (each BenchmarkDotNet invocation runs one of each, rotating the order) so machine load
/// hits them alike; per-variant min/median/p99 are printed and written to
/// BenchmarkDotNet.Artifacts/sandbox-spawn.md at the end.
/// Run: dotnet run -c Release --project bench/Carapace.Benchmarks -- --filter '*SandboxSpawn*'
/// </summary>
[Config(typeof(InterleavedConfig))]
public class SandboxSpawnBenchmarks
{
    private const string Bwrap = "/usr/bin/bwrap";
    private readonly Dictionary<string, List<double>> _samples = new() { ["Process.Start"] = [], ["sandboxed"] = [], ["bwrap"] = [] };
    private Carapace.Sandbox.SandboxBroker _broker = null!;
    private Carapace.Sandbox.SandboxRequest _request = null!;
    private string _bwrapScratch = "";
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        _broker = new Carapace.Sandbox.SandboxBroker(new SandboxOptions(), null, null, SandboxPlatform.Current);
        var selfTest = _broker.EnsureSelfTestAsync().GetAwaiter().GetResult();
        if (!selfTest.Passed)
        {
            throw new InvalidOperationException("sandbox self-test failed: " + selfTest.Detail);
        }

        if (!File.Exists(Bwrap))
        {
            throw new InvalidOperationException("bubblewrap is missing: run tests/setup/10-sandbox.sh");
        }

        _request = new Carapace.Sandbox.SandboxRequest
        {
            Executable = "/bin/true",
            ReadOnlyRoots = SandboxProfiles.SystemRoots.Where(Path.Exists).ToList(),
        };
        _bwrapScratch = Directory.CreateTempSubdirectory("carapace-bwrap-").FullName;
    }

    [Benchmark(Description = "one round: Process.Start + sandboxed + bwrap (interleaved)")]
    public async Task Round()
    {
        // Rotate the order so no variant always runs first (cold caches) or last.
        var order = (_round++ % 3) switch { 0 => "psb", 1 => "sbp", _ => "bps" };
        foreach (var c in order)
        {
            var clock = Stopwatch.StartNew();
            switch (c)
            {
                case 'p': await PlainAsync(); break;
                case 's': await SandboxedAsync(); break;
                default: await BwrapAsync(); break;
            }

            _samples[c switch { 'p' => "Process.Start", 's' => "sandboxed", _ => "bwrap" }].Add(clock.Elapsed.TotalMilliseconds);
        }
    }

    private static async Task RunToExitAsync(ProcessStartInfo psi)
    {
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        await Task.WhenAll(o, e);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{psi.FileName} exited {p.ExitCode}: {await e}");
        }
    }

    private static Task PlainAsync() => RunToExitAsync(new ProcessStartInfo("/bin/true"));

    private async Task SandboxedAsync()
    {
        var r = await _broker.RunAsync(_request, CancellationToken.None);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("sandboxed /bin/true exited " + r.ExitCode + ": " + r.StderrText);
        }
    }

    private Task BwrapAsync()
    {
        // Equivalent policy: system dirs read-only, one private read-write dir, /dev/null, no network,
        // new session, cleared environment. (bwrap sets no rlimits, no Landlock and no seccomp here.)
        var psi = new ProcessStartInfo(Bwrap);
        foreach (var root in SandboxProfiles.SystemRoots.Where(Path.Exists))
        {
            psi.ArgumentList.Add(new DirectoryInfo(root).LinkTarget is null ? "--ro-bind" : "--symlink");
            if (new DirectoryInfo(root).LinkTarget is { } target)
            {
                psi.ArgumentList.Add(target);
            }
            else
            {
                psi.ArgumentList.Add(root);
            }

            psi.ArgumentList.Add(root);
        }

        foreach (var a in new[] { "--bind", _bwrapScratch, _bwrapScratch, "--dev-bind", "/dev/null", "/dev/null", "--unshare-net",
                     "--new-session", "--die-with-parent", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--chdir", _bwrapScratch, "/bin/true" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Clear();
        return RunToExitAsync(psi);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Spawn latency of /bin/true, interleaved, {_samples["sandboxed"].Count} samples each (first 10% dropped as warm-up), ms:");
        sb.AppendLine();
        sb.AppendLine("| variant | min | median | p99 |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var (name, all) in _samples)
        {
            var s = all.Skip(all.Count / 10).Order().ToList();
            if (s.Count == 0)
            {
                continue;
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {s[0]:F2} | {Percentile(s, 50):F2} | {Percentile(s, 99):F2} |");
        }

        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"launcher: {_broker.BackendStatus?.LauncherKind} ({_broker.BackendStatus?.LauncherPath}), Landlock ABI {_broker.BackendStatus?.LandlockAbi}");
        var text = sb.ToString();
        Console.WriteLine(text);
        Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
        File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", "sandbox-spawn.md"), text);
        _broker.Dispose();
        Directory.Delete(_bwrapScratch, recursive: true);
    }

    /// <summary>In-process (the samples live in this object), fixed invocation counts, no pilot.</summary>
    private sealed class InterleavedConfig : ManualConfig
    {
        public InterleavedConfig() => AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithWarmupCount(2)
            .WithIterationCount(20)
            .WithInvocationCount(50)
            .WithUnrollFactor(1));
    }

    private static double Percentile(List<double> sorted, double p)
    {
        var rank = p / 100 * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }
}
