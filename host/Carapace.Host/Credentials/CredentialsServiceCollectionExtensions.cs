using Carapace.Host.Audit;
using Carapace.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Carapace.Host.Credentials;

/// <summary>Registers the credential store and its helpers (see docs/credentials.md).</summary>
internal static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ICredentialStore"/>, <see cref="PluginCredentialsFactory"/>,
    /// <see cref="PlaintextCredentialScanner"/> and the start-up check (a hosted service that refuses start on
    /// plaintext credentials). Binds the <c>credentials</c> section. Registers defaults, unless already
    /// registered, for <see cref="StateDirectory"/> (from the environment), <see cref="TimeProvider"/>,
    /// <see cref="IAuditLog"/> and <see cref="CredentialEnvironment"/> (the process environment).
    /// </summary>
    public static IServiceCollection AddCarapaceCredentials(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new CredentialOptions();
        configuration.GetSection(CredentialOptions.SectionName).Bind(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(_ => StateDirectory.Resolve());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(CredentialEnvironment.Process);
        // Outside the gateway (e.g. `cara credentials set`) writes still land in the same audit.jsonl.
        services.TryAddSingleton<IAuditLog>(sp => new FileAuditLog(sp.GetRequiredService<StateDirectory>().AuditLogPath,
            sp.GetRequiredService<TimeProvider>(), null,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<FileAuditLog>>()));
        services.AddLogging();

        services.TryAddSingleton<CredentialIndex>();
        services.TryAddSingleton<CredentialBackendSelector>();
        services.TryAddSingleton<ICredentialBackendSource>(sp => sp.GetRequiredService<CredentialBackendSelector>());
        services.TryAddSingleton<ICredentialStore, CredentialStore>();
        services.TryAddSingleton<PluginCredentialLimiter>();
        services.TryAddSingleton<PluginCredentialsFactory>();
        services.TryAddSingleton<PlaintextCredentialScanner>();
        services.AddHostedService<CredentialsStartupCheck>();
        return services;
    }
}
