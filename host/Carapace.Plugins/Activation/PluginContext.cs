using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Credentials;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Sandbox;
using Carapace.Plugins.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Activation;

/// <summary>The plugin's door to the host for one activation. Holds only host objects.</summary>
internal sealed class PluginContext(
    string id,
    string version,
    IConfiguration configuration,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider,
    PluginServices services,
    CancellationToken stopping) : IPluginContext
{
    public string Id { get; } = id;
    public string Version { get; } = version;
    public IConfiguration Configuration { get; } = configuration;
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
    public TimeProvider TimeProvider { get; } = timeProvider;
    public IPluginHttp Http { get; } = services.Http;
    public IPluginCredentials Credentials { get; } = services.Credentials;
    public IPluginSandbox Sandbox { get; } = services.Sandbox;
    public IChannelOutbox Outbox { get; } = services.Outbox;
    public CancellationToken Stopping { get; } = stopping;
}
