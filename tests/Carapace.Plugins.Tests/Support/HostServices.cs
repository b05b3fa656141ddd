using System.Reflection;
using System.Runtime.ExceptionServices;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Sandbox;
using Carapace.Plugins.Services;
using Carapace.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Tests.Support;

/// <summary>
/// The host's real plugin services: the outbound guard (<c>Carapace.Host.Outbound.PluginHttpFactory</c> over
/// <c>SafeHttp</c>, registered by <c>AddCarapaceOutbound</c> from the <c>network</c> section) and the sandbox
/// broker (<see cref="SandboxServiceCollectionExtensions.AddCarapaceSandbox"/> from the <c>sandbox</c> section).
/// </summary>
/// <remarks>
/// The outbound types are internal to Carapace.Host, which grants InternalsVisibleTo only to its own test
/// projects, and this suite may not change Carapace.Host. They are therefore reached by name through
/// reflection, here and nowhere else; a rename fails every fetch test loudly at start. Adding
/// <c>Carapace.Plugins.Tests</c> to Carapace.Host's InternalsVisibleTo would turn this into plain calls.
/// </remarks>
internal sealed class HostServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly object _httpFactory;
    private readonly MethodInfo _createHttp;

    private HostServices(ServiceProvider provider, ListLoggerProvider logs, object httpFactory, MethodInfo createHttp)
    {
        _provider = provider;
        Logs = logs;
        _httpFactory = httpFactory;
        _createHttp = createHttp;
        Sandboxes = provider.GetRequiredService<IPluginSandboxFactory>();
    }

    /// <summary>Host log lines, audit events included (the interim audit sink writes to the log).</summary>
    public ListLoggerProvider Logs { get; }

    public IPluginSandboxFactory Sandboxes { get; }

    /// <param name="settings">Host configuration: <c>network:*</c> and <c>sandbox:*</c> keys.</param>
    public static HostServices Create(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var host = Assembly.Load(new AssemblyName("Carapace.Host"));
        var services = new ServiceCollection();
        var logs = new ListLoggerProvider();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton(Type("Carapace.Host.Audit.IAuditLog"), Type("Carapace.Host.Audit.LoggingAuditLog"));
        Invoke(Type("Carapace.Host.Outbound.OutboundServiceCollectionExtensions").GetMethod("AddCarapaceOutbound", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!, null, services, configuration);
        services.AddCarapaceSandbox(configuration);

        var provider = services.BuildServiceProvider();
        var factoryType = Type("Carapace.Host.Outbound.PluginHttpFactory");
        var create = factoryType.GetMethod("Create", [typeof(string), typeof(IEnumerable<string>), typeof(int?)])
            ?? throw new MissingMethodException(factoryType.FullName, "Create(string, IEnumerable<string>, int?)");
        return new HostServices(provider, logs, provider.GetRequiredService(factoryType), create);

        Type Type(string name) => host.GetType(name, throwOnError: true)!;
    }

    /// <summary>What <c>PluginHttpFactory.Create(pluginId, grants)</c> gives the plugin.</summary>
    public IPluginHttp Http(string pluginId, IReadOnlyList<string> grants) =>
        (IPluginHttp)Invoke(_createHttp, _httpFactory, pluginId, grants, null)!;

    public IPluginSandbox Sandbox(string pluginId, IReadOnlyList<string> profiles) => Sandboxes.Create(pluginId, profiles);

    /// <summary>
    /// Plugin services granting what the operator wrote under <c>plugins:&lt;id&gt;:grants</c> in
    /// <paramref name="settings"/> (<c>http</c> URL patterns, <c>subprocess</c> profiles), everything else
    /// denied. It stands in for the host's grant resolution (docs/plugin-development.md, "Grants") with
    /// explicit operator grants only.
    /// </summary>
    public IPluginServicesFactory Granting(IDictionary<string, string?> settings) => new GrantingFactory(this, settings);

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync();

    private static object? Invoke(MethodInfo method, object? target, params object?[] args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
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
