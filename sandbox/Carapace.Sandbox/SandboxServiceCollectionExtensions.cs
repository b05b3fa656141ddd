using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Carapace.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the broker, profiles (bound from <paramref name="configuration"/>'s <c>sandbox</c> section,
    /// validated at start), the plugin sandbox factory, diagnostics and the start-up self-test.
    /// The host may register its own <see cref="ISandboxEventSink"/> (before or after this call).
    /// </summary>
    /// <param name="configuration">The root configuration (the one holding the <c>sandbox</c> section).</param>
    public static IServiceCollection AddCarapaceSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>());
        services.TryAddSingleton<ISandboxEventSink>(NullSandboxEventSink.Instance);
        services.TryAddSingleton<SandboxBroker>();
        services.TryAddSingleton<ISandboxBroker>(sp => sp.GetRequiredService<SandboxBroker>());
        services.TryAddSingleton<SandboxProfiles>();
        services.TryAddSingleton<IPluginSandboxFactory, PluginSandboxFactory>();
        services.TryAddSingleton<SandboxDiagnostics>();
        services.AddHostedService<SandboxSelfTestService>();
        return services;
    }
}

/// <summary>Runs the self-test while the host starts, so a broken sandbox is in the log before the first run.</summary>
internal sealed class SandboxSelfTestService(SandboxBroker broker) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => broker.EnsureSelfTestAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => broker.DisposeAsync().AsTask();
}
