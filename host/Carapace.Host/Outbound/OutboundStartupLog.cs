using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Outbound;

/// <summary>Logs the operator's private-address exceptions at start, so a widened guard is never silent.</summary>
internal sealed class OutboundStartupLog(AddressPolicy policy, ILogger<OutboundStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (policy.AllowPrivate.Count == 0)
        {
            logger.LogInformation("Outbound HTTP guard active: private and reserved addresses are refused");
        }

        foreach (var network in policy.AllowPrivate)
        {
            logger.LogWarning(
                "Outbound HTTP guard exception: {Network} is reachable by outbound requests (network.allowPrivate)", network);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
