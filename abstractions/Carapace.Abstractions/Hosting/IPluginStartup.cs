using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Abstractions.Hosting;

/// <summary>
/// Entry point of a plugin. Exactly one public implementation per plugin assembly. The host calls it
/// once per activation with a fresh, plugin-private service collection; tools and channels in the
/// plugin assembly are discovered by the host after this call, so registering them is optional.
/// </summary>
public interface IPluginStartup
{
    void ConfigureServices(IServiceCollection services, IPluginContext context);
}
