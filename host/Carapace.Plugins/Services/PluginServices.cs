using Carapace.Abstractions.Channels;
using Carapace.Abstractions.Credentials;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Sandbox;

namespace Carapace.Plugins.Services;

/// <summary>
/// The host services one plugin generation sees through its <c>IPluginContext</c>. The runtime
/// disposes every member that is <see cref="IDisposable"/>/<see cref="IAsyncDisposable"/> when the
/// generation is unloaded, so an implementation may keep per-plugin state (rate limits, handles).
/// </summary>
internal sealed record PluginServices(IPluginHttp Http, IPluginCredentials Credentials, IPluginSandbox Sandbox, IChannelOutbox Outbox)
{
    public async ValueTask DisposeMembersAsync()
    {
        foreach (var member in new object[] { Http, Credentials, Sandbox, Outbox }.Distinct())
        {
            switch (member)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
