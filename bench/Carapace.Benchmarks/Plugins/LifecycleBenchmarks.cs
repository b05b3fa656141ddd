using BenchmarkDotNet.Attributes;

namespace Carapace.Benchmarks.Plugins;

/// <summary>
/// Load + activate (manifest, load context, container, tool discovery, schema compilation, registry)
/// and unload + verify (drain, stop, dispose, Unload(), GC loop until the context is collected).
/// Each iteration does one operation; the iteration setup puts the plugin in the opposite state.
/// </summary>
[Config(typeof(LifecycleConfig))]
public class LifecycleBenchmarks
{
    private PluginBench _bench = null!;

    [GlobalSetup]
    public void Setup() => _bench = PluginBench.StartAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _bench.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [IterationSetup(Target = nameof(LoadAndActivate))]
    public void Unloaded() => Expect(_bench.Runtime.DisableAsync("good-tool").GetAwaiter().GetResult().Succeeded);

    [IterationSetup(Target = nameof(UnloadAndVerify))]
    public void Loaded() => Expect(_bench.Runtime.EnableAsync("good-tool").GetAwaiter().GetResult().Succeeded);

    [Benchmark(Description = "enable: load + activate")]
    public async Task LoadAndActivate() => Expect((await _bench.Runtime.EnableAsync("good-tool")).Succeeded);

    [Benchmark(Description = "disable: unload + verify")]
    public async Task UnloadAndVerify() => Expect((await _bench.Runtime.DisableAsync("good-tool")).Succeeded);

    private static void Expect(bool ok)
    {
        if (!ok)
        {
            throw new InvalidOperationException("plugin lifecycle operation failed");
        }
    }
}
