using Carapace.Plugins.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// The disposal steps shared by a generation's shutdown and the clean-up after a failed activation.
/// Each step catches and logs (as text: the exception may be of a plugin type), so a plugin that
/// throws while being disposed never stops the unload that follows.
/// </summary>
internal static class PluginTeardown
{
    /// <summary>
    /// Disposes the plugin's container asynchronously: <see cref="ServiceProvider.Dispose"/> throws for a
    /// service that implements only <see cref="IAsyncDisposable"/>. Runs inside the plugin's reflection scope (rule 9).
    /// </summary>
    public static async Task DisposeContainerAsync(ServiceProvider provider, Func<IDisposable> enterReflection, string pluginId, ILogger logger)
    {
        try
        {
            using (enterReflection())
            {
                await provider.DisposeAsync();
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning("plugin {PluginId}: disposing its services failed: {Error}", pluginId, $"{ex.GetType().FullName}: {ex.Message}");
        }
    }

    public static async Task DisposeHostServicesAsync(PluginServices services, string pluginId, ILogger logger)
    {
        try
        {
            await services.DisposeMembersAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("plugin {PluginId}: disposing its host services failed: {Error}", pluginId, $"{ex.GetType().FullName}: {ex.Message}");
        }
    }

    /// <summary>Cancels the generation's token; callbacks the plugin registered on it run now, and may throw.</summary>
    public static async Task CancelAsync(CancellationTokenSource stopping, string pluginId, ILogger logger)
    {
        try
        {
            await stopping.CancelAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("plugin {PluginId}: a callback on its stopping token threw: {Error}", pluginId, $"{ex.GetType().FullName}: {ex.Message}");
        }
    }
}
