using Carapace.Host.Audit;
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
/// subprocesses only under granted sandbox profiles, and an outbox limited to its own and granted channels.
/// </summary>
internal sealed class HostPluginServicesFactory(
    PluginHttpFactory http,
    PluginCredentialsFactory credentials,
    IPluginSandboxFactory sandbox,
    LoadedConfiguration configuration,
    IAuditLog audit,
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
            new GrantedOutbox(request.PluginId, grants.Channels ?? [], () => services.GetRequiredService<PluginRuntime>(), audit));
    }
}
