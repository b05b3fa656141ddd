using Carapace.Plugins.Manifest;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>A plugin folder found by discovery.</summary>
internal sealed record DiscoveredPlugin(string Directory, PluginSource Source);

/// <summary>
/// Finds plugin folders: every subfolder of the bundled directory that has a <c>plugin.yaml</c>,
/// and for each <c>plugins:load:paths</c> entry either the folder itself (if it has a
/// <c>plugin.yaml</c>) or its subfolders that do. A path that is missing, not a directory or cannot
/// be read is skipped with a warning: one bad entry must not keep the gateway (and every other
/// plugin) from starting.
/// </summary>
internal static class PluginDiscovery
{
    /// <param name="warn">Receives each skipped path's warning (the runtime reports them in the API too).</param>
    public static IReadOnlyList<DiscoveredPlugin> Discover(PluginRuntimeOptions options, ILogger logger, Action<string>? warn = null)
    {
        void Warn(string message)
        {
            logger.LogWarning("{Warning}", message);
            warn?.Invoke(message);
        }

        var found = new List<DiscoveredPlugin>();
        if (options.BundledDirectory is { } bundled)
        {
            if (Directory.Exists(bundled))
            {
                found.AddRange(Children(bundled, "bundled plugin directory", Warn).Select(d => new DiscoveredPlugin(d, PluginSource.Bundled)));
            }
            else
            {
                Warn($"bundled plugin directory {bundled} does not exist");
            }
        }

        foreach (var configured in options.LoadPaths)
        {
            var path = Path.GetFullPath(Environment.ExpandEnvironmentVariables(configured));
            if (!Directory.Exists(path))
            {
                Warn(File.Exists(path)
                    ? $"plugins:load:paths entry {path} is a file, not a directory; skipped"
                    : $"plugins:load:paths entry {path} does not exist");
                continue;
            }

            if (File.Exists(Path.Combine(path, PluginManifest.FileName)))
            {
                found.Add(new DiscoveredPlugin(path, PluginSource.Path));
            }
            else
            {
                found.AddRange(Children(path, "plugins:load:paths entry", Warn).Select(d => new DiscoveredPlugin(d, PluginSource.Path)));
            }
        }

        return found;
    }

    private static List<string> Children(string directory, string what, Action<string> warn)
    {
        try
        {
            return Directory.EnumerateDirectories(directory)
                .Where(d => File.Exists(Path.Combine(d, PluginManifest.FileName)))
                .Select(Path.GetFullPath)
                .OrderBy(d => d, StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            warn($"{what} {directory} cannot be read ({ex.Message}); skipped");
            return [];
        }
    }
}
