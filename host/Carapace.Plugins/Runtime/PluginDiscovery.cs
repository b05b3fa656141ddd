using Carapace.Plugins.Manifest;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Runtime;

/// <summary>A plugin folder found by discovery.</summary>
internal sealed record DiscoveredPlugin(string Directory, PluginSource Source);

/// <summary>
/// Finds plugin folders: every subfolder of the bundled directory that has a <c>plugin.yaml</c>,
/// and for each <c>plugins:load:paths</c> entry either the folder itself (if it has a
/// <c>plugin.yaml</c>) or its subfolders that do.
/// </summary>
internal static class PluginDiscovery
{
    public static IReadOnlyList<DiscoveredPlugin> Discover(PluginRuntimeOptions options, ILogger logger)
    {
        var found = new List<DiscoveredPlugin>();
        if (options.BundledDirectory is { } bundled)
        {
            if (Directory.Exists(bundled))
            {
                found.AddRange(Children(bundled).Select(d => new DiscoveredPlugin(d, PluginSource.Bundled)));
            }
            else
            {
                logger.LogWarning("bundled plugin directory {Directory} does not exist", bundled);
            }
        }

        foreach (var configured in options.LoadPaths)
        {
            var path = Path.GetFullPath(Environment.ExpandEnvironmentVariables(configured));
            if (!Directory.Exists(path))
            {
                logger.LogWarning("plugins:load:paths entry {Path} does not exist", path);
                continue;
            }

            if (File.Exists(Path.Combine(path, PluginManifest.FileName)))
            {
                found.Add(new DiscoveredPlugin(path, PluginSource.Path));
            }
            else
            {
                found.AddRange(Children(path).Select(d => new DiscoveredPlugin(d, PluginSource.Path)));
            }
        }

        return found;
    }

    private static IEnumerable<string> Children(string directory) =>
        Directory.EnumerateDirectories(directory)
            .Where(d => File.Exists(Path.Combine(d, PluginManifest.FileName)))
            .Select(Path.GetFullPath)
            .OrderBy(d => d, StringComparer.Ordinal);
}
