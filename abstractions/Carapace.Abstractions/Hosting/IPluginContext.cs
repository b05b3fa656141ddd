using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Credentials;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Carapace.Abstractions.Hosting;

/// <summary>
/// A plugin's only door to the outside world. Every service here checks the plugin's granted
/// capabilities on each call and throws <see cref="CapabilityDeniedException"/> when the grant is
/// missing. The context is also registered in the plugin's own container.
/// </summary>
public interface IPluginContext
{
    /// <summary>The plugin id from <c>plugin.yaml</c>.</summary>
    string Id { get; }

    /// <summary>The plugin version from <c>plugin.yaml</c>.</summary>
    string Version { get; }

    /// <summary>The plugin's own configuration section (<c>plugins.&lt;id&gt;.*</c>) and nothing else.</summary>
    IConfiguration Configuration { get; }

    ILoggerFactory LoggerFactory { get; }

    TimeProvider TimeProvider { get; }

    /// <summary>Outbound HTTP, SSRF-guarded and limited to the plugin's URL grants (<c>http</c> capability).</summary>
    IPluginHttp Http { get; }

    /// <summary>Secrets scoped to <c>plugin:&lt;id&gt;:</c> (<c>credentials</c> capability).</summary>
    IPluginCredentials Credentials { get; }

    /// <summary>Subprocesses, always confined by the sandbox broker (<c>subprocess</c> capability).</summary>
    IPluginSandbox Sandbox { get; }

    /// <summary>Sends messages out through channels.</summary>
    IChannelOutbox Outbox { get; }

    /// <summary>Cancelled when the plugin is being disabled, unloaded or the host stops.</summary>
    CancellationToken Stopping { get; }
}
