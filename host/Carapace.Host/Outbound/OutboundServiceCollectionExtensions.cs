using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Outbound;

internal static class OutboundServiceCollectionExtensions
{
    /// <summary>
    /// Registers the outbound HTTP guard: <see cref="SafeHttp"/>, <see cref="PluginHttpFactory"/> and the
    /// <c>network</c> options (validated at start). Requires an <see cref="Audit.IAuditLog"/> registration.
    /// </summary>
    public static IServiceCollection AddCarapaceOutbound(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OutboundOptions>()
            .Bind(configuration.GetSection(OutboundOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboundOptions>, OutboundOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHostResolver, DnsHostResolver>();
        services.TryAddSingleton(sp =>
        {
            var errors = new List<string>();
            var networks = sp.GetRequiredService<IOptions<OutboundOptions>>().Value.ParseAllowPrivate(errors);
            return errors.Count == 0
                ? new AddressPolicy(networks)
                : throw new OptionsValidationException(OutboundOptions.SectionName, typeof(OutboundOptions), errors);
        });
        services.TryAddSingleton(sp => new SafeHttp(
            sp.GetRequiredService<AddressPolicy>(),
            sp.GetRequiredService<IHostResolver>(),
            sp.GetRequiredService<IOptions<OutboundOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<PluginHttpFactory>();
        services.AddHostedService<OutboundStartupLog>();
        return services;
    }
}
