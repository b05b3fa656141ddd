using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Carapace.Host.Audit;
using Carapace.Host.Gateway;
using Carapace.Host.Metrics;
using Carapace.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Security;

/// <summary>Registers the hardening services and configures Kestrel's listener for them.</summary>
internal static class HardeningServices
{
    /// <summary>Metrics, auth-failure throttling (and its audit summaries), per-address connection limits, the file audit log and rate limiting.</summary>
    public static IServiceCollection AddGatewayHardening(this IServiceCollection services, SecuritySettings security, StateDirectory state)
    {
        services.AddSingleton(security);
        services.AddSingleton(security.TrustedProxies);
        services.AddMetrics();
        services.AddSingleton(sp => new GatewayMetrics(sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton(sp => new AuthFailureThrottle(security.AuthThrottle, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ProxyAuthFailureThrottle(security.AuthThrottle, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new WebhookAuthThrottle(security.AuthThrottle, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<WebhookAuthFailures>();
        services.AddSingleton<AuthAuditReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuthAuditReporter>());
        services.AddSingleton(sp => new ConnectionLimits(security.Limits.MaxConnectionsPerIp,
            sp.GetRequiredService<GatewayMetrics>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Carapace.Gateway.Connections")));
        services.AddSingleton(sp => new FileAuditLog(state.AuditLogPath, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<GatewayMetrics>(), sp.GetRequiredService<ILogger<FileAuditLog>>()));
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<FileAuditLog>());
        services.AddGatewayRateLimiting(security.RateLimit);
        return services;
    }

    /// <summary>Limits and timeouts, then one listener: per-address connection cap first (raw TCP), then TLS if configured.</summary>
    public static void ListenHardened(this KestrelServerOptions kestrel, GatewaySettings gateway, X509Certificate2? certificate)
    {
        kestrel.AddServerHeader = false;
        RequestLimits.Configure(kestrel.Limits, gateway.Security.Limits);
        kestrel.Listen(gateway.BindAddress, gateway.Port, listen =>
        {
            listen.Use(next => kestrel.ApplicationServices.GetRequiredService<ConnectionLimits>().Middleware(next));
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        });
    }
}
