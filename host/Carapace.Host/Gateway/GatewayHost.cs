using Carapace.Host.Api;
using Carapace.Host.Audit;
using Carapace.Host.Auth;
using Carapace.Host.Configuration;
using Carapace.Host.Credentials;
using Carapace.Host.Logging;
using Carapace.Host.Metrics;
using Carapace.Host.Outbound;
using Carapace.Host.PluginHosting;
using Carapace.Host.Sandboxing;
using Carapace.Host.Security;
using Carapace.Plugins.Hosting;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Sandbox;
using Carapace.Protocol;
using Carapace.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;

namespace Carapace.Host.Gateway;

/// <summary>
/// Composition root of the gateway: reads and validates configuration, then builds one ASP.NET Core
/// host with Kestrel, the public probes and the authenticated control API. Built on the empty
/// builder so no ambient configuration source (appsettings.json, ASPNETCORE_* variables) can
/// change what the gateway binds or trusts. Hardening pieces (Security/, Metrics/, Audit/) plug in
/// as AddX/UseX/MapX extensions; the middleware order below is part of the security design.
/// </summary>
internal static class GatewayHost
{
    public const string ControlPolicy = "control";

    /// <exception cref="ConfigurationException">The configuration is invalid; nothing was started.</exception>
    public static WebApplication Build(GatewayStartOptions options)
    {
        var config = CarapaceConfigLoader.Load(ConfigLocator.Locate(options.ConfigPath, options.GetEnv), options.GetEnv);
        // The same checks `cara config validate` runs, all before anything is created.
        var (gateway, logging) = ConfigValidation.Read(config, options.BindOverride, options.PortOverride);

        var state = StateDirectory.Resolve(options.GetEnv);
        var stateError = TryPrepareState(state);
        var ring = new LogRingBuffer(logging.RingBufferSize);
        var serilog = SerilogSetup.Create(logging, ring, stateError is null ? state.LogsDir : null, options.Console);
        var startupLog = new Serilog.Extensions.Logging.SerilogLoggerFactory(serilog).CreateLogger("Carapace.Gateway");

        var security = gateway.Security;
        var certificate = LoadCertificate(security.Tls, state, gateway, startupLog);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "Carapace",
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(config.Configuration);
        builder.Services.AddSerilog(serilog, dispose: true);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.ListenHardened(gateway, certificate));

        builder.Services.AddRouting();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJson.Default));
        // Authentication core only: the full AddAuthentication() also brings data protection, which
        // would create and persist a key ring for cookies this gateway never issues.
        builder.Services.AddWebEncoders();
        builder.Services.AddAuthenticationCore(auth =>
        {
            auth.DefaultScheme = ControlAuthenticationHandler.SchemeName;
            auth.AddScheme<ControlAuthenticationHandler>(ControlAuthenticationHandler.SchemeName, ControlAuthenticationHandler.SchemeName);
        });
        builder.Services.AddOptions<AuthenticationSchemeOptions>(ControlAuthenticationHandler.SchemeName);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ControlPolicy, policy => policy
                .AddAuthenticationSchemes(ControlAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(gateway);
        builder.Services.AddSingleton(logging);
        builder.Services.AddSingleton(sp => GatewayCredentialResolver.Resolve(gateway, options.GetEnv,
            storeLookup: key => CredentialStoreLookup.Read(sp.GetRequiredService<ICredentialStore>(), key, startupLog),
            warn: message => startupLog.LogWarning("{Warning}", message)));
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton(ring);
        builder.Services.AddSingleton<GatewayClock>();
        builder.Services.AddSingleton<StateProbe>();
        builder.Services.AddSingleton<GatewayEndpoint>();
        builder.Services.AddGatewayHardening(security, state);
        builder.Services.AddSingleton<IReadinessCheck, StateDirectoryReadiness>();
        builder.Services.AddCarapaceOutbound(config.Configuration);
        builder.Services.AddSingleton(new CredentialEnvironment(options.GetEnv));
        builder.Services.AddCarapaceCredentials(config.Configuration);
        builder.Services.AddSingleton<ISandboxEventSink, AuditingSandboxEventSink>();
        builder.Services.AddCarapaceSandbox(config.Configuration);
        builder.Services.AddSingleton<IPluginServicesFactory, HostPluginServicesFactory>();
        builder.Services.AddSingleton<IPluginLifecycleObserver, AuditingPluginLifecycleObserver>();
        if (options.Console)
        {
            // The console channel is off unless `cara start --console` asks for it (enabledByDefault: false).
            config.Configuration["plugins:console:enabled"] = "true";
        }

#if DEBUG
        if (options.GetEnv(DebugInstallPausePoints.EnvironmentVariable) is { Length: > 0 } pause)
        {
            startupLog.LogWarning("{Variable}={Point}: installs will stop at that point (debug builds only, for crash tests)",
                DebugInstallPausePoints.EnvironmentVariable, pause);
            builder.Services.AddSingleton<Carapace.Plugins.Install.IInstallPausePoints>(sp =>
                new DebugInstallPausePoints(pause, sp.GetRequiredService<ILogger<DebugInstallPausePoints>>()));
        }
#endif
        // plugins.runtime.* was already checked, with file and line, by ConfigValidation.
        builder.Services.AddCarapacePlugins(config.Configuration, options.BundledPluginsDirectory,
            plugins => plugins.ManagedDirectory = state.PluginsDir);

        builder.Services.AddSingleton<IRuntimeSummary, PluginRuntimeSummary>();
        builder.Services.AddSingleton<IReadinessCheck, ChannelReadiness>();
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Carapace.Gateway");
        var metrics = app.Services.GetRequiredService<GatewayMetrics>();
        if (stateError is null)
        {
            ConfigChangeAudit.AtStartup(app.Services.GetRequiredService<IAuditLog>(), state, config, log);
        }

        // Order matters. Metrics and headers wrap everything, so refusals are counted and carry the
        // headers; the client address is known before anything keys on it; header caps and rate limits
        // run before routing; the Host check (DNS rebinding), CSRF and body caps run after routing (they
        // read endpoint metadata) but before authentication, as upstream: a foreign Host gets 421, a
        // foreign Origin 403 and an oversize body 413 without credentials ever being checked or counted.
        app.UseRequestMetrics(metrics);
        app.UseSecurityHeaders();
        app.UseProblemResponses();
        app.UseClientAddress(security.TrustedProxies);
        if (logging.Requests)
        {
            app.UseRequestLogging(serilog);
        }

        app.UseRequestHeaderLimits(security.Limits);
        app.UseGatewayRateLimiting(security.RateLimit);
        app.UseRouting();
        app.UseHostHeaderCheck(HostHeaderCheck.AllowedHosts(gateway.BindAddress, security), log);
        app.UseCsrfProtection(security.CsrfAllowedOrigins, metrics, log);
        app.UseRequestBodyLimits();
        // Explicit, here: left out, WebApplication would insert authentication at the very start of
        // the pipeline, before the client address is known and before the CSRF and body checks.
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealth();
        if (gateway.ControlEnabled)
        {
            var control = app.MapGroup("/control").RequireAuthorization(ControlPolicy).WithMetadata(ControlEndpointMetadata.Instance);
            control.MapStatus();
            control.MapLogs();
            control.MapConfig();
            control.MapAudit();
            control.MapMetrics();
            control.MapSandbox();
            control.MapCredentials();
            control.MapPlugins();
            control.MapPluginInstall();
            control.MapTools();
            control.MapChannels();
            control.MapControlFallback();
        }

        app.MapPluginWebhooks();
        var credentials = app.Services.GetRequiredService<GatewayCredentials>();
        app.Lifetime.ApplicationStarted.Register(() => OnStarted(app, log));
        app.Lifetime.ApplicationStopping.Register(() => log.LogInformation("Shutting down"));
        app.Lifetime.ApplicationStopped.Register(() => log.LogInformation("Stopped"));
        LogStartup(log, config, state, stateError, gateway, credentials);
        LogHardening(log, gateway, certificate is not null);
        foreach (var warning in CarapaceConfigLoader.UnknownSections(config))
        {
            log.LogWarning("Configuration: {Warning}", warning.ToString());
        }

        return app;
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2? LoadCertificate(
        TlsSettings tls, StateDirectory state, GatewaySettings gateway, Microsoft.Extensions.Logging.ILogger log)
    {
        try
        {
            return GatewayTls.Load(tls, state, gateway.BindAddress, TimeProvider.System, log);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(new ConfigError("gateway.tls.selfSigned",
                $"cannot keep a self-signed certificate in {state.Root}/tls: {ex.Message}"));
        }
    }

    private static void LogHardening(Microsoft.Extensions.Logging.ILogger log, GatewaySettings gateway, bool tls)
    {
        var security = gateway.Security;
        var rate = security.RateLimit;
        if (rate.Enabled)
        {
            log.LogInformation("Rate limit: {Rate}/s (burst {Burst}) per client, {InvokeRate}/s (burst {InvokeBurst}) for tool invocation and webhooks; loopback {Exempt}",
                rate.RequestsPerSecond, rate.Burst, rate.InvokeRequestsPerSecond, rate.InvokeBurst, rate.ExemptLoopback ? "exempt" : "limited too");
        }
        else
        {
            log.LogWarning("Rate limiting is disabled (gateway.rateLimit.enabled: false)");
        }

        var throttle = security.AuthThrottle;
        log.LogInformation("Auth throttling: {Failures} failures within {Window} s lock a client out for {Lockout} s (loopback included)",
            throttle.MaxFailures, (long)throttle.Window.TotalSeconds, (long)throttle.Lockout.TotalSeconds);
        if (!security.TrustedProxies.IsEmpty)
        {
            log.LogInformation("Trusted proxies: {Proxies} (X-Forwarded-For from them names the client for limits, logs and audit; it never makes a request local)",
                string.Join(", ", security.TrustedProxies.Networks));
        }

        if (!tls && !gateway.IsLoopbackOnly)
        {
            log.LogWarning("TLS is off while binding beyond loopback: credentials cross the network in cleartext. Set gateway.tls.selfSigned: true or gateway.tls.certPath/keyPath.");
        }
    }

    private static string? TryPrepareState(StateDirectory state)
    {
        try
        {
            state.EnsureCreated();
            state.EnsureSubdirectory("logs");
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    private static void OnStarted(WebApplication app, Microsoft.Extensions.Logging.ILogger log)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is not null)
        {
            app.Services.GetRequiredService<GatewayEndpoint>().Set(new Uri(address));
        }

        log.LogInformation("Listening on {Address}", address);
    }

    private static void LogStartup(Microsoft.Extensions.Logging.ILogger log, LoadedConfiguration config, StateDirectory state,
        string? stateError, GatewaySettings gateway, GatewayCredentials credentials)
    {
        log.LogInformation("Carapace {Version} starting (pid {Pid})", CarapaceVersion.Current, Environment.ProcessId);
        log.LogInformation("Configuration: {Source}", config.SourceDescription);
        if (stateError is null)
        {
            log.LogInformation("State directory: {StateDir}", state.Root);
        }
        else
        {
            log.LogError("State directory {StateDir} cannot be used: {Error}. The gateway is not ready until it is writable.",
                state.Root, stateError);
        }

        log.LogInformation("Binding {Bind} ({Address}:{Port})", gateway.BindText, gateway.BindAddress, gateway.Port);
        if (!gateway.IsLoopbackOnly)
        {
            log.LogWarning("The gateway binds {Address}, beyond loopback: anyone who can reach it can attempt to authenticate. " +
                           "Keep a strong token, enable TLS, and prefer gateway.bind: loopback unless you need remote access.",
                gateway.BindAddress);
        }

        if (!gateway.ControlEnabled)
        {
            log.LogWarning("The control API is disabled (gateway.control.enabled: false); /control/* answers 404 and `cara` verbs other than status will fail.");
        }
        else if (credentials.Mode == GatewayAuthMode.None)
        {
            log.LogWarning("Control API auth mode 'none': direct loopback requests are admitted WITHOUT credentials; everything else is denied.");
        }
        else if (!credentials.HasSecret)
        {
            log.LogWarning("No gateway {Mode} is configured: every /control request will be denied (401), loopback included. " +
                           "Set CARAPACE_GATEWAY_TOKEN (or CARAPACE_GATEWAY_PASSWORD, or gateway.auth.token in carapace.yaml) and restart.",
                credentials.ModeName);
        }
        else
        {
            log.LogInformation("Control API auth: {Mode} (from {Source})", credentials.ModeName, credentials.Source);
        }
    }
}
