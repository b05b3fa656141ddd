using Carapace.Host.Api;
using Carapace.Host.Audit;
using Carapace.Host.Auth;
using Carapace.Host.Configuration;
using Carapace.Host.Credentials;
using Carapace.Host.Logging;
using Carapace.Host.Outbound;
using Carapace.Host.Sandboxing;
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
/// change what the gateway binds or trusts.
/// </summary>
internal static class GatewayHost
{
    public const string ControlPolicy = "control";

    /// <exception cref="ConfigurationException">The configuration is invalid; nothing was started.</exception>
    public static WebApplication Build(GatewayStartOptions options)
    {
        var config = CarapaceConfigLoader.Load(ConfigLocator.Locate(options.ConfigPath, options.GetEnv), options.GetEnv);
        var reader = new SettingsReader(config);
        var gateway = GatewaySettingsReader.Read(reader, options.BindOverride, options.PortOverride);
        var logging = LoggingSettings.Read(reader);
        reader.ThrowIfInvalid();

        var state = StateDirectory.Resolve(options.GetEnv);
        var stateError = TryPrepareState(state);
        var ring = new LogRingBuffer(logging.RingBufferSize);
        var serilog = SerilogSetup.Create(logging, ring, stateError is null ? state.LogsDir : null, options.Console);
        var startupLog = new Serilog.Extensions.Logging.SerilogLoggerFactory(serilog).CreateLogger("Carapace.Gateway");

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "Carapace",
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(config.Configuration);
        builder.Services.AddSerilog(serilog, dispose: true);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(gateway.BindAddress, gateway.Port);
        });

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
        builder.Services.AddSingleton<GatewayEndpoint>();
        builder.Services.AddSingleton<IAuditLog, LoggingAuditLog>();
        builder.Services.AddSingleton<IRuntimeSummary, EmptyRuntimeSummary>();
        builder.Services.AddSingleton<IReadinessCheck, StateDirectoryReadiness>();
        builder.Services.AddCarapaceOutbound(config.Configuration);
        builder.Services.AddSingleton(new CredentialEnvironment(options.GetEnv));
        builder.Services.AddCarapaceCredentials(config.Configuration);
        builder.Services.AddSingleton<ISandboxEventSink, AuditingSandboxEventSink>();
        builder.Services.AddCarapaceSandbox(config.Configuration);
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseProblemResponses();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealth();
        if (gateway.ControlEnabled)
        {
            var control = app.MapGroup("/control").RequireAuthorization(ControlPolicy);
            control.MapStatus();
            control.MapLogs();
            control.MapConfig();
            control.MapSandbox();
            control.MapCredentials();
            control.MapControlFallback();
        }

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Carapace.Gateway");
        var credentials = app.Services.GetRequiredService<GatewayCredentials>();
        app.Lifetime.ApplicationStarted.Register(() => OnStarted(app, log));
        app.Lifetime.ApplicationStopping.Register(() => log.LogInformation("Shutting down"));
        app.Lifetime.ApplicationStopped.Register(() => log.LogInformation("Stopped"));
        LogStartup(log, config, state, stateError, gateway, credentials);
        foreach (var warning in CarapaceConfigLoader.UnknownSections(config))
        {
            log.LogWarning("Configuration: {Warning}", warning.ToString());
        }

        return app;
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
