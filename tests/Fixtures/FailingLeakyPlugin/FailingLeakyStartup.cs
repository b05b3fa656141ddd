using Carapace.Abstractions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FailingLeakyPlugin;

/// <summary>
/// Subscribes to AppDomain.ProcessExit (a handler the default context keeps forever) and then throws:
/// the activation fails, but the load context can never be collected. The host must notice.
/// plugins/BannedSymbols.txt bans this event; the fixture silences the ban on purpose.
/// </summary>
public sealed class FailingLeakyStartup : IPluginStartup
{
    public void ConfigureServices(IServiceCollection services, IPluginContext context)
    {
#pragma warning disable RS0030 // Banned API: the point of this fixture.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
#pragma warning restore RS0030
        throw new InvalidOperationException("configuration step 2 failed after the hook was installed");
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
    }
}
