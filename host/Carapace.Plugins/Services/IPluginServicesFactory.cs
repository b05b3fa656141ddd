namespace Carapace.Plugins.Services;

/// <summary>
/// Supplies the host services (<c>IPluginHttp</c>, <c>IPluginCredentials</c>, <c>IPluginSandbox</c>,
/// <c>IChannelOutbox</c>) for one plugin activation. The host implements it over its outbound HTTP
/// guard, credential store and sandbox broker; each service checks the plugin's grants on every call
/// and throws <c>CapabilityDeniedException</c> when they are missing. Called once per activation.
/// </summary>
internal interface IPluginServicesFactory
{
    PluginServices Create(PluginServiceRequest request);
}
