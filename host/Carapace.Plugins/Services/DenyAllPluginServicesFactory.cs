using Carapace.Abstractions;
using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Credentials;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Sandbox;

namespace Carapace.Plugins.Services;

/// <summary>
/// The runtime's default: every host service refuses with <see cref="CapabilityDeniedException"/>.
/// It lets the runtime run without the host (tests, benchmarks) and fails closed if the host forgets
/// to register its own factory.
/// </summary>
internal sealed class DenyAllPluginServicesFactory : IPluginServicesFactory
{
    public PluginServices Create(PluginServiceRequest request)
    {
        var deny = new DenyAll(request.PluginId);
        return new PluginServices(deny, deny, deny, deny);
    }

    private sealed class DenyAll(string pluginId) : IPluginHttp, IPluginCredentials, IPluginSandbox, IChannelOutbox
    {
        private const string NotWired = "this host provides no such service to plugins";

        public Task<PluginHttpResponse> SendAsync(PluginHttpRequest request, CancellationToken cancellationToken) =>
            throw new CapabilityDeniedException(pluginId, "http", NotWired);

        public Task<string?> GetAsync(string name, CancellationToken cancellationToken) =>
            throw new CapabilityDeniedException(pluginId, "credentials", NotWired);

        public Task SetAsync(string name, string value, CancellationToken cancellationToken) =>
            throw new CapabilityDeniedException(pluginId, "credentials", NotWired);

        public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken) =>
            throw new CapabilityDeniedException(pluginId, "credentials", NotWired);

        public Task<SandboxResult> RunAsync(SandboxCommand command, CancellationToken cancellationToken) =>
            throw new CapabilityDeniedException(pluginId, "subprocess", NotWired);

        public Task SendAsync(string channelId, OutboundMessage message, CancellationToken cancellationToken) =>
            throw new CapabilityDeniedException(pluginId, "outbox", NotWired);
    }
}
