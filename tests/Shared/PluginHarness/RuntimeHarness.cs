using System.Collections.Concurrent;
using Carapace.Plugins.Hosting;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Carapace.Testing.PluginHarness;

/// <summary>
/// A real plugin runtime over the fixture plugins the test build published into
/// <c>&lt;test bin&gt;/plugins/&lt;id&gt;/</c>, wired exactly as the host wires it.
/// </summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private RuntimeHarness(ServiceProvider provider, IConfiguration configuration)
    {
        _provider = provider;
        Configuration = configuration;
        Runtime = provider.GetRequiredService<PluginRuntime>();
    }

    public static string PluginsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    public PluginRuntime Runtime { get; }
    public IConfiguration Configuration { get; }
    public RecordingObserver Events => (RecordingObserver)_provider.GetRequiredService<IPluginLifecycleObserver>();
    public ListLoggerProvider Logs => _provider.GetRequiredService<ListLoggerProvider>();

    public static string PluginDirectory(string id) => Path.Combine(PluginsDirectory, id);

    public T Service<T>() where T : notnull => _provider.GetRequiredService<T>();

    /// <param name="pluginDirectories">Plugin folders (ids of published fixtures, or absolute paths).</param>
    /// <param name="settings">Extra configuration keys.</param>
    /// <param name="services">Host services factory; the deny-all default when null.</param>
    /// <param name="configure">Option overrides (short timeouts in tests).</param>
    /// <param name="time">The host clock (a FakeTimeProvider in tests that drive time); the system clock when null.</param>
    public static async Task<RuntimeHarness> StartAsync(
        IEnumerable<string> pluginDirectories,
        IDictionary<string, string?>? settings = null,
        IPluginServicesFactory? services = null,
        Action<PluginRuntimeOptions>? configure = null,
        string? bundledDirectory = null,
        TimeProvider? time = null,
        Action<IServiceCollection>? register = null)
    {
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        var i = 0;
        foreach (var dir in pluginDirectories)
        {
            values[$"plugins:load:paths:{i++}"] = Path.IsPathRooted(dir) ? dir : PluginDirectory(dir);
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var collection = new ServiceCollection();
        var logs = new ListLoggerProvider();
        collection.AddSingleton(logs);
        collection.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        collection.AddSingleton<IPluginLifecycleObserver, RecordingObserver>();
        if (services is not null)
        {
            collection.AddSingleton(services);
        }

        if (time is not null)
        {
            collection.AddSingleton(time);
        }

        register?.Invoke(collection);

        collection.AddCarapacePlugins(configuration, bundledDirectory, options =>
        {
            options.ChannelRestartDelay = TimeSpan.FromMilliseconds(20);
            options.DrainTimeout = TimeSpan.FromSeconds(10);
            options.StopTimeout = TimeSpan.FromSeconds(2);
            configure?.Invoke(options);
        });
        var provider = collection.BuildServiceProvider();
        var harness = new RuntimeHarness(provider, configuration);
        await harness.Runtime.StartAsync();
        return harness;
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.StopAsync();
        await _provider.DisposeAsync();
    }
}

/// <summary>Keeps every lifecycle event (they are plain strings and numbers, so this pins nothing).</summary>
internal sealed class RecordingObserver : IPluginLifecycleObserver
{
    private readonly ConcurrentQueue<PluginLifecycleEvent> _events = new();

    public IReadOnlyList<PluginLifecycleEvent> All => _events.ToList();

    public void OnEvent(PluginLifecycleEvent lifecycleEvent) => _events.Enqueue(lifecycleEvent);
}

/// <summary>Captures formatted log lines.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToList();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}

/// <summary>Polls a condition with a deadline (no sleeps for readiness).</summary>
internal static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(10);
        }

        return condition();
    }
}

/// <summary>A temporary directory removed at dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "carapace-plugins-tests-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Copies a published fixture so a test can change its files.</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)), overwrite: true);
        }
    }
}
