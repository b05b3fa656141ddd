using Carapace.Plugins.Manifest;

namespace Carapace.Plugins.Loading;

/// <summary>
/// Loads a plugin's entry assembly into its own collectible load context. The seam keeps
/// McMaster.NETCore.Plugins (in maintenance mode) replaceable by a plain collectible
/// <see cref="System.Runtime.Loader.AssemblyLoadContext"/>.
/// </summary>
internal interface IPluginLoader
{
    /// <exception cref="PluginLoadException">With the reason the plugin cannot be loaded.</exception>
    IPluginAssembly Load(PluginManifest manifest);
}
