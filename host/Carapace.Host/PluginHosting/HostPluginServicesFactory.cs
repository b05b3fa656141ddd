using Carapace.Abstractions.Channels;
using Carapace.Host.Configuration;
using Carapace.Host.Credentials;
using Carapace.Host.Outbound;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Carapace.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Host.PluginHosting;

/// <summary>
/// Gives each plugin activation the host's real services, each bound to the plugin's id and grants:
/// SSRF-guarded HTTP limited to its URL patterns, credentials scoped to <c>plugin:&lt;id&gt;:</c>,
/// subprocesses only under granted sandbox profiles, and an outbox into the channel registry.
/// </summary>
internal sealed class HostPluginServicesFactory(
    PluginHttpFactory http,
    PluginCredentialsFactory credentials,
    IPluginSandboxFactory sandbox,
    LoadedConfiguration configuration,
    IServiceProvider services) : IPluginServicesFactory
{
    // The loaded root, not the host's IConfiguration: the chained provider behind the latter drops empty
    // values, and an explicitly empty grant list (a revocation) must stay visible.
    public PluginServices Create(PluginServiceRequest request)
    {
        var grants = PluginGrants.Resolve(request.PluginId, request.Capabilities, configuration.Configuration);
        return new PluginServices(
            http.Create(request.PluginId, grants.Http, grants.HttpRequestsPerMinute),
            credentials.Create(request.PluginId, grants.Credentials),
            sandbox.Create(request.PluginId, grants.SubprocessProfiles),
            // Resolved per send: the runtime depends on this factory, so it cannot be a constructor argument.
            new RuntimeOutbox(() => services.GetRequiredService<PluginRuntime>()));
    }

    private sealed class RuntimeOutbox(Func<PluginRuntime> runtime) : IChannelOutbox
    {
        public async Task SendAsync(string channelId, OutboundMessage message, CancellationToken cancellationToken)
        {
            var result = await runtime().SendAsync(channelId, message, cancellationToken);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"sending through channel '{channelId}' failed ({result.Code}): {result.Error}");
            }
        }
    }
}
