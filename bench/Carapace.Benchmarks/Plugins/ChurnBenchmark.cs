using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Carapace.Benchmarks.Plugins;

/// <summary>
/// 1000 load → call → unload(verified) cycles of the good-tool fixture. Reports managed heap
/// (after full GCs), RSS and live load contexts before and after, on stdout and in
/// <c>BenchmarkDotNet.Artifacts/plugin-churn.txt</c>. BenchmarkDotNet also runs one jitting
/// invocation first, so the process goes through <see cref="Cycles"/> x 2 cycles in total.
/// </summary>
[Config(typeof(ChurnConfig))]
public class ChurnBenchmark
{
    public const int Cycles = 1000;

    private PluginBench _bench = null!;
    private (long HeapBytes, long RssBytes, int Contexts) _before;
    private int _performed;

    [GlobalSetup]
    public void Setup()
    {
        _bench = PluginBench.StartAsync().GetAwaiter().GetResult();
        RunCycles(20).GetAwaiter().GetResult();
        _performed = 0;
        _before = PluginBench.Measure();
    }

    [Benchmark(OperationsPerInvoke = Cycles, Description = "load+call+unload(verified) cycle")]
    public Task Churn() => RunCycles(Cycles);

    [GlobalCleanup]
    public void Cleanup()
    {
        var after = PluginBench.Measure();
        var info = _bench.Runtime.Get("good-tool")!;
        var report = string.Create(CultureInfo.InvariantCulture, $"""
            plugin churn: {_performed} cycles (state {info.State}, generation {info.Generation})
              managed heap: {_before.HeapBytes / 1024.0:0} KiB -> {after.HeapBytes / 1024.0:0} KiB ({(after.HeapBytes - _before.HeapBytes) / 1024.0:+0;-0} KiB, {(after.HeapBytes - _before.HeapBytes) / (double)Math.Max(1, _performed):0.0} B/cycle)
              RSS:          {_before.RssBytes / 1048576.0:0.0} MiB -> {after.RssBytes / 1048576.0:0.0} MiB ({(after.RssBytes - _before.RssBytes) / 1048576.0:+0.0;-0.0} MiB)
              load contexts alive: {_before.Contexts} -> {after.Contexts}
            """);
        Console.WriteLine(report);
        Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
        File.WriteAllText(Path.Combine("BenchmarkDotNet.Artifacts", "plugin-churn.txt"), report + Environment.NewLine);
        _bench.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task RunCycles(int count)
    {
        var args = PluginBench.Args("""{"text":"x"}""");
        for (var i = 0; i < count; i++)
        {
            var call = await _bench.Runtime.InvokeToolAsync("echo", args);
            var off = await _bench.Runtime.DisableAsync("good-tool");
            var on = await _bench.Runtime.EnableAsync("good-tool");
            if (!call.Succeeded || !off.Succeeded || !on.Succeeded)
            {
                throw new InvalidOperationException($"cycle {i} failed: {call.Error} {off.Message} {on.Message}");
            }

            _performed++;
        }
    }
}
