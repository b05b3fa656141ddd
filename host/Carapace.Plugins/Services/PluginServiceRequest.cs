using Carapace.Plugins.Manifest;

namespace Carapace.Plugins.Services;

/// <summary>Who is asking for host services: the plugin id, its version and the capabilities it requested.</summary>
internal sealed record PluginServiceRequest(string PluginId, string Version, PluginCapabilities Capabilities);
