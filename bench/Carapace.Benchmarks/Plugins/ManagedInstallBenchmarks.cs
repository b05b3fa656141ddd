using BenchmarkDotNet.Attributes;
using Carapace.Plugins.Hosting;
using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Benchmarks.Plugins;

/// <summary>
/// Managed plugins with the good-tool fixture, signed by a trusted key: a whole install (stage, manifest,
/// sha256, signature, vetting, move + fsync, load check, activation, lock write), a verified uninstall,
/// and the load check every load of a managed plugin runs (directory safety, digest, signature).
/// </summary>
[Config(typeof(LifecycleConfig))]
public class ManagedInstallBenchmarks
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "carapace-bench-managed-" + Guid.NewGuid().ToString("N"));
    private SigningKey _key = null!;
    private ServiceProvider _provider = null!;
    private PluginInstaller _installer = null!;
    private string _package = null!;
    private SignaturePolicy _policy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = SigningKey.Generate();
        Directory.CreateDirectory(_root);
        _package = PackageSigner.Pack(PluginBench.PluginDirectory, Path.Combine(_root, "good-tool.zip"), _key).ArchivePath;
        _policy = new SignaturePolicy(true, new HashSet<PublisherKey> { _key.PublicKey });
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["plugins:signature:trustedPublishers:0"] = _key.PublicKey.Hex })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCarapacePlugins(configuration, configure: o => o.ManagedDirectory = Path.Combine(_root, "state", "plugins"));
        _provider = services.BuildServiceProvider();
        _provider.GetRequiredService<PluginRuntime>().StartAsync().GetAwaiter().GetResult();
        _installer = _provider.GetRequiredService<PluginInstaller>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _provider.GetRequiredService<PluginRuntime>().StopAsync().GetAwaiter().GetResult();
        _provider.Dispose();
        _key.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [IterationSetup(Target = nameof(Install))]
    public void Uninstalled()
    {
        if (_installer.Store.ReadLock().Find("good-tool") is not null)
        {
            _installer.UninstallAsync("good-tool", false, false, null, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    [IterationSetup(Targets = [nameof(Uninstall), nameof(LoadCheck)])]
    public void Installed()
    {
        if (_installer.Store.ReadLock().Find("good-tool") is null)
        {
            _ = Install().GetAwaiter().GetResult();
        }
    }

    [Benchmark(Description = "install: stage, verify, vet, move, load check, activate, commit")]
    public async Task<string> Install() =>
        (await _installer.InstallAsync(new InstallRequest(_package, _package), CancellationToken.None)).Action;

    [Benchmark(Description = "uninstall: commit, verified unload, delete")]
    public async Task<bool> Uninstall() =>
        (await _installer.UninstallAsync("good-tool", false, false, null, CancellationToken.None)).Leaked;

    [Benchmark(Description = "load check of a managed plugin: safety, digest, signature")]
    public bool LoadCheck()
    {
        var entry = _installer.Store.ReadLock().Find("good-tool")!;
        return PluginLoadCheck.Verify(_installer.Store.Layout.Root, _installer.Store.Layout.DirectoryOf(entry), entry, _policy).MayLoad;
    }
}
