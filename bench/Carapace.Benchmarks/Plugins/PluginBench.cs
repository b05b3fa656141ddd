using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Carapace.Plugins.Hosting;
using Carapace.Plugins.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Benchmarks.Plugins;

/// <summary>
/// A real plugin runtime over the good-tool fixture published next to the benchmark
/// (<c>Plugins/Plugins.targets</c>), wired as the host wires it, without log sinks.
/// </summary>
internal sealed class PluginBench : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private PluginBench(ServiceProvider provider) => (_provider, Runtime) = (provider, provider.GetRequiredService<PluginRuntime>());

    public PluginRuntime Runtime { get; }

    public static string PluginDirectory => Path.Combine(AppContext.BaseDirectory, "plugins", "good-tool");

    public static async Task<PluginBench> StartAsync()
    {
        if (!Directory.Exists(PluginDirectory))
        {
            throw new InvalidOperationException($"fixture not found at {PluginDirectory}; build the benchmark project first");
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["plugins:load:paths:0"] = PluginDirectory })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCarapacePlugins(configuration);
        var provider = services.BuildServiceProvider();
        var bench = new PluginBench(provider);
        await bench.Runtime.StartAsync();
        if (bench.Runtime.Get("good-tool")?.State != "active")
        {
            throw new InvalidOperationException($"good-tool did not load: {bench.Runtime.Get("good-tool")?.Reason}");
        }

        return bench;
    }

    public static JsonElement Args(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static (long HeapBytes, long RssBytes, int Contexts) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64, System.Runtime.Loader.AssemblyLoadContext.All.Count());
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.StopAsync();
        await _provider.DisposeAsync();
    }
}

/// <summary>
/// Short job, in-process toolchain: the fixture plugin is found next to the benchmark assembly
/// (an out-of-process toolchain runs from a generated project elsewhere).
/// </summary>
internal sealed class InProcessConfig : ManualConfig
{
    public InProcessConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
    }
}

/// <summary>One invocation of the 1000-cycle churn (plus BenchmarkDotNet's jitting invocation).</summary>
internal sealed class ChurnConfig : ManualConfig
{
    public ChurnConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(0)
            .WithIterationCount(1)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("Churn"));
    }
}

/// <summary>Single-shot lifecycle measurements: one operation per iteration, state restored in setup.</summary>
internal sealed class LifecycleConfig : ManualConfig
{
    public LifecycleConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithWarmupCount(3)
            .WithIterationCount(30)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("Lifecycle"));
    }
}
