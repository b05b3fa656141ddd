using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Carapace.Abstractions.Tools;
using Carapace.Plugins.Runtime;

namespace Carapace.Benchmarks.Plugins;

/// <summary>
/// The cost the registry adds to a tool call: lookup, lease on the slot's generation, JSON Schema
/// validation of the arguments, per-call timeout and cancellation linking, contextual reflection,
/// result cloning. Baseline: the same plugin tool instance called directly.
/// </summary>
[Config(typeof(InProcessConfig))]
[MemoryDiagnoser]
public class ToolInvocationBenchmarks
{
    private PluginBench _bench = null!;
    private ITool _tool = null!;
    private ToolCall _call = null!;
    private JsonElement _args;

    [GlobalSetup]
    public void Setup()
    {
        _bench = PluginBench.StartAsync().GetAwaiter().GetResult();
        _args = PluginBench.Args("""{"text":"hello"}""");
        _call = new ToolCall("echo", _args, "bench", "bench");
        _tool = Slot().Tools["echo"].Tool;
    }

    [GlobalCleanup]
    public void Cleanup() => _bench.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "direct ITool.InvokeAsync")]
    public async Task<bool> Direct() => !(await _tool.InvokeAsync(_call, CancellationToken.None)).IsError;

    [Benchmark(Description = "ToolRegistry.InvokeAsync")]
    public async Task<bool> ThroughRegistry() => (await _bench.Runtime.InvokeToolAsync("echo", _args)).Succeeded;

    // Reaches into the runtime only to get the baseline's instance; the benchmark never unloads.
    private PluginGeneration Slot()
    {
        var field = typeof(PluginRuntime).GetField("_slots", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var slots = (System.Collections.Concurrent.ConcurrentDictionary<string, PluginSlot>)field.GetValue(_bench.Runtime)!;
        return slots["good-tool"].Current!;
    }
}
