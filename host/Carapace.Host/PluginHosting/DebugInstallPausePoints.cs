#if DEBUG
using Carapace.Plugins.Install;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.PluginHosting;

/// <summary>
/// Debug builds only (compiled out of Release): <c>CARAPACE_DEBUG_INSTALL_PAUSE=staged|replaced-aside|after-move|after-commit</c>
/// makes every install stop at that point until the process is killed, so the crash test can kill
/// <c>cara start</c> exactly between the move and the lock write, or between the lock write and the swap.
/// </summary>
internal sealed class DebugInstallPausePoints(string point, ILogger<DebugInstallPausePoints> logger) : IInstallPausePoints
{
    public const string EnvironmentVariable = "CARAPACE_DEBUG_INSTALL_PAUSE";

    public async Task ReachedAsync(string reached, CancellationToken cancellationToken)
    {
        if (!string.Equals(reached, point, StringComparison.Ordinal))
        {
            return;
        }

        logger.LogWarning("install paused at {Point} ({Variable}); waiting to be killed", reached, EnvironmentVariable);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
#endif
