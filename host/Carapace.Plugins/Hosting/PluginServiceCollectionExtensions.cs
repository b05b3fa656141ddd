using Carapace.Plugins.Activation;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Install;
using Carapace.Plugins.Loading;
using Carapace.Plugins.Routing;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Plugins.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Carapace.Plugins.Hosting;

internal static class PluginServiceCollectionExtensions
{
    /// <summary>
    /// Registers the plugin runtime: <see cref="PluginRuntime"/> (catalog + lifecycle, the façade the
    /// control API uses), <see cref="ToolRegistry"/>, <see cref="ChannelRegistry"/>,
    /// <see cref="MessageRouter"/>, <see cref="PluginMetrics"/> (meter <c>Carapace.Plugins</c> from the
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/>), the managed-plugin <see cref="PluginInstaller"/> and
    /// <see cref="PluginDoctor"/> (active when <see cref="PluginRuntimeOptions.ManagedDirectory"/> is set), and a hosted
    /// service that loads plugins at start and unloads them at stop.
    /// Register your own <see cref="IPluginServicesFactory"/> and <see cref="IPluginLifecycleObserver"/>
    /// before or after this call to replace the deny-all and no-op defaults.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The host configuration (<c>plugins:*</c>, <c>channels:*</c>).</param>
    /// <param name="bundledPluginsDirectory">Folder with the first-party plugins, usually
    /// <c>Path.Combine(AppContext.BaseDirectory, "plugins")</c>; null for none.</param>
    /// <param name="configure">Last-minute changes to the options read from configuration.</param>
    public static IServiceCollection AddCarapacePlugins(
        this IServiceCollection services,
        IConfiguration configuration,
        string? bundledPluginsDirectory = null,
        Action<PluginRuntimeOptions>? configure = null)
    {
        var options = PluginRuntimeOptions.FromConfiguration(configuration, bundledPluginsDirectory);
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPluginLoader, McMasterPluginLoader>();
        services.TryAddSingleton<IPluginServicesFactory, DenyAllPluginServicesFactory>();
        services.TryAddSingleton<IPluginLifecycleObserver, NullPluginLifecycleObserver>();
        services.TryAddSingleton<IInstallPausePoints, NoInstallPauses>();
        services.AddSingleton(new ManagedPluginStore(options, configuration));
        services.AddSingleton(sp => new PluginActivator(
            sp.GetRequiredService<IPluginLoader>(),
            sp.GetRequiredService<IPluginServicesFactory>(),
            configuration,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            options));
        services.AddMetrics();
        services.AddSingleton<PluginMetrics>();
        services.AddSingleton<ToolRegistry>();
        services.AddSingleton<ChannelRegistry>();
        services.AddSingleton(sp => new MessageRouter(
            sp.GetRequiredService<ToolRegistry>(),
            sp.GetRequiredService<ChannelRegistry>(),
            configuration,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<MessageRouter>>(),
            sp.GetRequiredService<IPluginLifecycleObserver>()));
        services.AddSingleton(sp =>
        {
            var runtime = new PluginRuntime(
                sp.GetRequiredService<PluginActivator>(),
                sp.GetRequiredService<ToolRegistry>(),
                sp.GetRequiredService<ChannelRegistry>(),
                sp.GetRequiredService<MessageRouter>(),
                options,
                configuration,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(),
                sp.GetRequiredService<IPluginLifecycleObserver>(),
                sp.GetRequiredService<ManagedPluginStore>());
            sp.GetRequiredService<PluginMetrics>().ObserveStates(() => runtime.List().Select(p => p.State));
            return runtime;
        });
        services.AddSingleton<PluginInstaller>();
        services.AddSingleton<PluginDoctor>();
        services.AddHostedService<PluginRuntimeHostedService>();
        return services;
    }
}
