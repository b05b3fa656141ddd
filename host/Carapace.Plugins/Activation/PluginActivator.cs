using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;
using Carapace.Abstractions.Webhooks;
using Carapace.Plugins.Channels;
using Carapace.Plugins.Loading;
using Carapace.Plugins.Manifest;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Plugins.Tools;
using Json.Schema;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Activation;

/// <summary>
/// Turns a manifest into a running <see cref="PluginGeneration"/>: validate config, load the
/// assembly, build the plugin's own container (rule 2), resolve its tools, channels and webhook
/// receiver. Any failure unloads what was loaded and surfaces as a <see cref="PluginLoadException"/>
/// whose <see cref="PluginLoadException.LoadContext"/> the runtime verifies (rule 10).
/// </summary>
internal sealed partial class PluginActivator(
    IPluginLoader loader,
    IPluginServicesFactory servicesFactory,
    IConfiguration hostConfiguration,
    ILoggerFactory loggerFactory,
    TimeProvider time,
    PluginRuntimeOptions options)
{
    private static readonly Type[] ScannedContracts = [typeof(ITool), typeof(IChannel), typeof(IWebhookReceiver)];
    private readonly ILogger _logger = loggerFactory.CreateLogger<PluginActivator>();

    public PluginGeneration Activate(PluginManifest manifest, int number)
    {
        var abi = AbiCompatibility.Check(manifest.TargetAbi);
        if (abi is not null)
        {
            throw new PluginLoadException(abi);
        }

        var pluginConfig = PluginConfiguration.Snapshot(hostConfiguration, manifest.Id);
        ValidateConfig(manifest, pluginConfig);

        var watch = Stopwatch.StartNew();
        var assembly = loader.Load(manifest);
        var stopping = new CancellationTokenSource();
        var pluginTime = new PluginTimeProvider(time, manifest.Id, _logger);
        PluginServices? hostServices = null;
        ServiceProvider? provider = null;
        try
        {
            hostServices = servicesFactory.Create(new PluginServiceRequest(manifest.Id, manifest.Version, manifest.Capabilities));
            var context = new PluginContext(
                manifest.Id,
                manifest.Version,
                pluginConfig,
                new PluginLoggerFactory(loggerFactory, manifest.Id),
                pluginTime,
                hostServices,
                stopping.Token);

            using (assembly.EnterContextualReflection())
            {
                provider = BuildContainer(manifest, assembly.EntryAssembly, context, pluginConfig);
                var tools = ResolveTools(manifest, provider);
                var (channels, webhook) = ResolveChannels(manifest, provider);
                var generation = new PluginGeneration(
                    number, manifest, assembly, provider, hostServices, pluginTime, stopping, tools, channels, webhook,
                    assembly.Warnings, watch.Elapsed.TotalMilliseconds);
                return generation;
            }
        }
        catch (Exception ex)
        {
            // No inner exception: it may be of a plugin type, and the reason is kept as long as the slot.
            var reason = ex is PluginLoadException ? ex.Message : Describe(ex);
            var unloaded = Discard(manifest.Id, assembly, provider, hostServices, pluginTime, stopping);
            throw new PluginLoadException(reason) { LoadContext = unloaded };
        }
    }

    /// <summary>Channel ids: lowercase, digits, '_' and '-', at most 64, nothing after the last character.</summary>
    public static bool IsValidChannelId(string? id) => !string.IsNullOrEmpty(id) && ChannelIdPattern().IsMatch(id);

    /// <summary>
    /// Undoes a failed activation the way a shutdown would, in order: the plugin may already have
    /// hooked the host (timers, token callbacks, events) in its startup or constructors. Each wait is
    /// bounded by the stop timeout so a plugin cannot hang the enable that failed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference Discard(
        string pluginId, IPluginAssembly assembly, ServiceProvider? provider, PluginServices? hostServices, PluginTimeProvider pluginTime, CancellationTokenSource stopping)
    {
        Wait(PluginTeardown.CancelAsync(stopping, pluginId, _logger), pluginId, "its stopping callbacks");
        Wait(pluginTime.DisposeTimersAsync().AsTask(), pluginId, "its timers");
        if (provider is not null)
        {
            Wait(PluginTeardown.DisposeContainerAsync(provider, assembly.EnterContextualReflection, pluginId, _logger), pluginId, "disposing its services");
        }

        if (hostServices is not null)
        {
            Wait(PluginTeardown.DisposeHostServicesAsync(hostServices, pluginId, _logger), pluginId, "disposing its host services");
        }

        stopping.Dispose();
        return assembly.Unload();
    }

    private void Wait(Task task, string pluginId, string what)
    {
        // The teardown helpers catch and log their own failures.
        if (!task.Wait(options.StopTimeout))
        {
            _logger.LogWarning("plugin {PluginId}: {What} did not finish within {Timeout} after a failed activation; unloading anyway", pluginId, what, options.StopTimeout);
        }
    }

    private static void ValidateConfig(PluginManifest manifest, IConfiguration pluginConfig)
    {
        if (manifest.ConfigSchema is not { } schemaElement)
        {
            return;
        }

        var schema = SchemaCompiler.Compile(schemaElement);
        var json = PluginConfiguration.ToJson(pluginConfig, schemaElement);
        using var doc = JsonDocument.Parse(json.ToJsonString());
        var errors = SchemaCompiler.Validate(schema, doc.RootElement);
        if (errors.Count > 0)
        {
            var list = string.Join("; ", errors.Take(5).Select(e => $"{e.Path}: {e.Message}"));
            throw new PluginLoadException($"configuration plugins:{manifest.Id} does not satisfy the manifest's configSchema: {list}");
        }
    }

    private static ServiceProvider BuildContainer(PluginManifest manifest, Assembly entry, PluginContext context, IConfiguration pluginConfig)
    {
        Type[] types;
        try
        {
            types = entry.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            // Jellyfin's rule: eager GetTypes turns a bad shared dependency into a clear refusal.
            var causes = ex.LoaderExceptions.Where(e => e is not null).Select(e => e!.Message).Distinct().Take(3);
            throw new PluginLoadException(
                $"{manifest.EntryAssembly} references an incompatible version of a shared library: {string.Join("; ", causes)}");
        }

        var startups = types.Where(t => typeof(IPluginStartup).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false }).ToList();
        if (startups.Count > 1)
        {
            throw new PluginLoadException(
                $"{manifest.EntryAssembly} has {startups.Count} IPluginStartup implementations ({string.Join(", ", startups.Select(t => t.Name))}); exactly one is allowed");
        }

        var services = new ServiceCollection();
        services.AddSingleton<IPluginContext>(context);
        services.AddSingleton(pluginConfig);
        services.AddSingleton(context.LoggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(context.TimeProvider);

        if (startups.Count == 1)
        {
            IPluginStartup startup;
            try
            {
                startup = (IPluginStartup)Activator.CreateInstance(startups[0])!;
            }
            catch (MissingMethodException)
            {
                throw new PluginLoadException($"{startups[0].Name} (IPluginStartup) needs a public parameterless constructor");
            }
            catch (TargetInvocationException ex)
            {
                throw new PluginLoadException($"{startups[0].Name} constructor threw {Describe(ex.InnerException ?? ex)}");
            }

            try
            {
                startup.ConfigureServices(services, context);
            }
            catch (Exception ex)
            {
                throw new PluginLoadException($"{startups[0].Name}.ConfigureServices threw {Describe(ex)}");
            }
        }

        // Scan only the plugin assembly, only inside this container. Types the startup already
        // registered are skipped so they are not created twice.
        var registered = services.Where(d => ScannedContracts.Contains(d.ServiceType) && d.ImplementationType is not null)
            .Select(d => d.ImplementationType!)
            .ToHashSet();
        var scanned = types.Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false }
                                       && ScannedContracts.Any(c => c.IsAssignableFrom(t))
                                       && !registered.Contains(t))
            .ToHashSet();
        services.Scan(scan => scan
            .FromAssemblies(entry)
            .AddClasses(classes => classes.Where(scanned.Contains), publicOnly: false)
            .AsSelf()
            .WithSingletonLifetime());

        // One instance per class, exposed under each contract it implements (a webhook channel is
        // both IChannel and IWebhookReceiver and must be the same object).
        foreach (var type in scanned)
        {
            foreach (var contract in ScannedContracts.Where(c => c.IsAssignableFrom(type)))
            {
                var implementation = type;
                services.AddSingleton(contract, sp => sp.GetRequiredService(implementation));
            }
        }

        try
        {
            return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        }
        catch (Exception ex) when (ex is AggregateException or InvalidOperationException)
        {
            throw new PluginLoadException($"the plugin's services cannot be built: {ex.Message}");
        }
    }

    private Dictionary<string, ToolEntry> ResolveTools(PluginManifest manifest, ServiceProvider provider)
    {
        var tools = new Dictionary<string, ToolEntry>(StringComparer.Ordinal);
        foreach (var tool in Resolve<ITool>(provider, "tools"))
        {
            ToolDefinition definition;
            try
            {
                definition = tool.Definition;
            }
            catch (Exception ex)
            {
                throw new PluginLoadException($"a tool's Definition threw {Describe(ex)}");
            }

            if (!tools.TryAdd(definition.Name, null!))
            {
                throw new PluginLoadException($"the plugin defines tool '{definition.Name}' twice");
            }

            JsonSchema schema;
            try
            {
                schema = SchemaCompiler.Compile(definition.InputSchema);
            }
            catch (Exception ex)
            {
                throw new PluginLoadException($"tool '{definition.Name}' has an invalid input schema: {ex.Message}");
            }

            var info = new ToolInfo(definition.Name, definition.Description, definition.InputSchema.Clone(), manifest.Id);
            tools[definition.Name] = new ToolEntry(tool, info, schema);
        }

        if (tools.Count > 0 && !manifest.Kind.HasFlag(PluginKind.Tool))
        {
            throw new PluginLoadException($"the plugin provides tools ({string.Join(", ", tools.Keys)}) but its manifest kind does not include 'tool'");
        }

        return tools;
    }

    private static (Dictionary<string, ChannelEntry> Channels, IWebhookReceiver? Webhook) ResolveChannels(PluginManifest manifest, ServiceProvider provider)
    {
        var receivers = Resolve<IWebhookReceiver>(provider, "webhook receivers");
        if (receivers.Count > 1)
        {
            throw new PluginLoadException($"the plugin has {receivers.Count} webhook receivers; at most one is allowed (it serves /plugins/{manifest.Id}/...)");
        }

        var webhook = receivers.Count == 1 ? receivers[0] : null;
        var channels = new Dictionary<string, ChannelEntry>(StringComparer.Ordinal);
        foreach (var channel in Resolve<IChannel>(provider, "channels"))
        {
            string id;
            ChannelCapabilities capabilities;
            try
            {
                id = channel.Id;
                capabilities = channel.Capabilities ?? throw new InvalidOperationException("Capabilities is null");
            }
            catch (Exception ex)
            {
                throw new PluginLoadException($"a channel's Id or Capabilities threw {Describe(ex)}");
            }

            if (!IsValidChannelId(id))
            {
                throw new PluginLoadException($"channel id '{id}' must match ^[a-z0-9][a-z0-9_-]{{0,63}}$");
            }

            if (!channels.TryAdd(id, new ChannelEntry(channel, id, capabilities, ReferenceEquals(channel, webhook))))
            {
                throw new PluginLoadException($"the plugin defines channel '{id}' twice");
            }
        }

        if ((channels.Count > 0 || webhook is not null) && !manifest.Kind.HasFlag(PluginKind.Channel))
        {
            throw new PluginLoadException("the plugin provides a channel but its manifest kind does not include 'channel'");
        }

        return (channels, webhook);
    }

    private static List<T> Resolve<T>(ServiceProvider provider, string what)
    {
        try
        {
            return provider.GetServices<T>().Where(x => x is not null).Distinct().ToList()!;
        }
        catch (Exception ex)
        {
            throw new PluginLoadException($"creating the plugin's {what} failed: {Describe(ex)}");
        }
    }

    /// <summary>Text only: the exception object may be of a plugin type and must not be kept.</summary>
    internal static string Describe(Exception ex)
    {
        while (ex is TargetInvocationException { InnerException: { } inner })
        {
            ex = inner;
        }

        return $"{ex.GetType().FullName}: {ex.Message}";
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelIdPattern();
}
