using Carapace.Host.Configuration;
using Carapace.Host.Credentials;
using Carapace.Sandbox;
using Carapace.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Cli.Client;

/// <summary>
/// Host services the CLI uses directly, without the gateway: the credential store (so the gateway
/// token can be stored before anything can authenticate) and the sandbox (to check this machine).
/// Built from the same configuration and state directory `cara start` would use.
/// </summary>
internal sealed class LocalServices : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private LocalServices(ServiceProvider provider) => _provider = provider;

    public static LocalServices Open(string? configPath, Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        var config = CarapaceConfigLoader.Load(ConfigLocator.Locate(configPath, getEnv), getEnv, decryptSecrets: false);
        var services = new ServiceCollection();
        services.AddLogging();
        var state = StateDirectory.Resolve(getEnv);
        state.EnsureCreated();
        services.AddSingleton(state);
        services.AddSingleton(new CredentialEnvironment(getEnv));
        services.AddCarapaceCredentials(config.Configuration);
        services.AddCarapaceSandbox(config.Configuration);
        return new LocalServices(services.BuildServiceProvider());
    }

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
