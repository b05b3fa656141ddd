using Carapace.Abstractions.Http;
using Carapace.Abstractions.Sandbox;
using Carapace.Host.Audit;
using Carapace.Host.Outbound;
using Carapace.Plugins.Services;
using Carapace.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Testing.PluginHarness;

/// <summary>
/// The host's real plugin services: the outbound guard (<see cref="PluginHttpFactory"/> over
/// <c>SafeHttp</c>, registered by <c>AddCarapaceOutbound</c> from the <c>network</c> section) and the sandbox
/// broker (<see cref="SandboxServiceCollectionExtensions.AddCarapaceSandbox"/> from the <c>sandbox</c> section).
/// Audit events go to the log so tests can read them.
/// </summary>
internal sealed class HostServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly PluginHttpFactory _httpFactory;

    private HostServices(ServiceProvider provider, ListLoggerProvider logs)
    {
        _provider = provider;
        Logs = logs;
        _httpFactory = provider.GetRequiredService<PluginHttpFactory>();
        Sandboxes = provider.GetRequiredService<IPluginSandboxFactory>();
    }

    /// <summary>Host log lines, audit events included.</summary>
    public ListLoggerProvider Logs { get; }

    public IPluginSandboxFactory Sandboxes { get; }

    /// <param name="settings">Host configuration: <c>network:*</c> and <c>sandbox:*</c> keys.</param>
    public static HostServices Create(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        var logs = new ListLoggerProvider();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton<IAuditLog, LogAuditLog>();
        services.AddCarapaceOutbound(configuration);
        services.AddCarapaceSandbox(configuration);
        return new HostServices(services.BuildServiceProvider(), logs);
    }

    /// <summary>What <c>PluginHttpFactory.Create(pluginId, grants)</c> gives the plugin.</summary>
    public IPluginHttp Http(string pluginId, IReadOnlyList<string> grants) => _httpFactory.Create(pluginId, grants);

    public IPluginSandbox Sandbox(string pluginId, IReadOnlyList<string> profiles) => Sandboxes.Create(pluginId, profiles);

    /// <summary>
    /// Plugin services granting what the operator wrote under <c>plugins:&lt;id&gt;:grants</c> in
    /// <paramref name="settings"/> (<c>http</c> URL patterns, <c>subprocess</c> profiles), everything else denied.
    /// </summary>
    public IPluginServicesFactory Granting(IDictionary<string, string?> settings) => new GrantingFactory(this, settings);

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync();

    /// <summary>Writes audit events to the log as "audit &lt;event&gt; {data}".</summary>
    private sealed class LogAuditLog(ILogger<LogAuditLog> logger) : IAuditLog
    {
        public void Write(string eventName, IReadOnlyDictionary<string, object?> data) =>
            logger.LogInformation("audit {AuditEvent} {AuditData}", eventName,
                string.Join(", ", data.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    private sealed class GrantingFactory(HostServices host, IDictionary<string, string?> settings) : IPluginServicesFactory
    {
        public PluginServices Create(PluginServiceRequest request)
        {
            var deny = new DenyAllPluginServicesFactory().Create(request);
            return deny with
            {
                Http = host.Http(request.PluginId, List(request.PluginId, "http")),
                Sandbox = host.Sandbox(request.PluginId, List(request.PluginId, "subprocess")),
            };
        }

        private List<string> List(string pluginId, string capability)
        {
            var prefix = $"plugins:{pluginId}:grants:{capability}:";
            return settings
                .Where(kv => kv.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && kv.Value is not null)
                .OrderBy(kv => int.Parse(kv.Key[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture))
                .Select(kv => kv.Value!)
                .ToList();
        }
    }
}
