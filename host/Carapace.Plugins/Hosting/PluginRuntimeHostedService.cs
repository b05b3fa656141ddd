using Carapace.Plugins.Runtime;
using Microsoft.Extensions.Hosting;

namespace Carapace.Plugins.Hosting;

/// <summary>Loads the plugins when the host starts and unloads them (verified) when it stops.</summary>
internal sealed class PluginRuntimeHostedService(PluginRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runtime.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
