using System.Net.Http.Headers;
using Carapace.Host.Gateway;
using Carapace.Host.Logging;
using Carapace.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Host.Tests.Infrastructure;

/// <summary>
/// A real gateway on a free loopback port (real Kestrel, real auth, real config loading), with its
/// own state directory and an environment that is not the test process's.
/// </summary>
internal sealed class GatewayFixture : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private GatewayFixture(TempDirectory dir, WebApplication app, Uri baseAddress, IReadOnlyDictionary<string, string?> env)
    {
        _dir = dir;
        App = app;
        BaseAddress = baseAddress;
        Environment = env;
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public IReadOnlyDictionary<string, string?> Environment { get; }
    public string StateDir => System.IO.Path.Combine(_dir.Path, "state");

    public string AuditPath => System.IO.Path.Combine(StateDir, "audit.jsonl");

    public string Home => _dir.Path;

    public LogRingBuffer Logs => App.Services.GetRequiredService<LogRingBuffer>();

    public static async Task<GatewayFixture> StartAsync(
        string? yaml = null,
        IDictionary<string, string?>? env = null,
        Action<IServiceCollection>? configureServices = null,
        string? stateDirOverride = null,
        Action<WebApplication>? configureApp = null,
        bool withPlugins = false,
        string? bundledPluginsDirectory = null)
    {
        var dir = new TempDirectory();
        var stateDir = stateDirOverride ?? System.IO.Path.Combine(dir.Path, "state");
        var environment = new Dictionary<string, string?>(env ?? new Dictionary<string, string?>())
        {
            ["CARAPACE_STATE_DIR"] = stateDir,
            ["HOME"] = dir.Path,
        };
        string? configPath = null;
        if (yaml is not null)
        {
            configPath = System.IO.Path.Combine(dir.Path, "carapace.yaml");
            await File.WriteAllTextAsync(configPath, yaml);
        }

        var app = GatewayHost.Build(new GatewayStartOptions
        {
            ConfigPath = configPath,
            PortOverride = 0,
            GetEnv = key => environment.GetValueOrDefault(key),
            ConfigureServices = configureServices,
            // Plugin loading costs time; only tests about plugins ask for the bundled set.
            // bundledPluginsDirectory: a test's own set instead (e.g. one fixture copied from fixture-packages/).
            BundledPluginsDirectory = bundledPluginsDirectory ?? (withPlugins ? System.IO.Path.Combine(AppContext.BaseDirectory, "plugins") : null),
        });
        configureApp?.Invoke(app);
        await app.StartAsync();
        var url = app.Services.GetRequiredService<GatewayEndpoint>().Url
                  ?? throw new InvalidOperationException("gateway did not report its address");
        return new GatewayFixture(dir, app, url, environment);
    }

    /// <summary>A client whose connections come from <see cref="Peers.Remote"/> (127.0.0.2): not loopback to the gateway.</summary>
    public HttpClient RemoteClient(string? bearer = null) => Peers.From(Peers.Remote, BaseAddress, bearer);

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public HttpClient Client(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public bool LogContains(string text) =>
        Logs.Snapshot(LogRingBuffer.MaxCapacity).Entries.Any(e => e.Message.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _dir.Dispose();
    }
}
