using Carapace.Abstractions.Credentials;
using Carapace.Host.Auth;
using Carapace.Host.Credentials;
using Carapace.Host.Gateway;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Tests.Credentials;

public sealed class CredentialsRegistrationTests : IDisposable
{
    private static readonly CredentialKey TokenKey = CredentialKey.Parse("gateway:token:default");

    private static readonly GatewaySettings Settings = new()
    {
        BindAddress = System.Net.IPAddress.Loopback,
        BindText = "loopback",
        Port = GatewaySettings.DefaultPort,
        AuthMode = null,
        ConfigToken = null,
        ConfigPassword = null,
        ControlEnabled = true,
    };

    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ServiceProvider Build(Func<string, string?> env, Dictionary<string, string?>? config = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_dir.State);
        services.AddSingleton(new CredentialEnvironment(env));
        services.AddCarapaceCredentials(new ConfigurationBuilder().AddInMemoryCollection(config ?? []).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Without_keychain_or_password_the_store_is_env_only()
    {
        await using var provider = Build(_ => null);

        var store = provider.GetRequiredService<ICredentialStore>();

        Assert.Equal(new CredentialStoreStatus(CredentialBackendNames.EnvOnly, false), await store.GetStatusAsync(CancellationToken.None));
        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            store.SetAsync(CredentialKey.Parse("gateway:token:default"), "v", CancellationToken.None));
        Assert.Contains("DBUS_SESSION_BUS_ADDRESS", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.CredentialsDir));
    }

    [Fact]
    public async Task With_a_password_and_no_keychain_the_encrypted_file_is_used()
    {
        await using var provider = Build(n => n == CredentialEnvironment.ConfigPasswordVariable ? EncryptedStoreTemplate.Password : null);
        var store = provider.GetRequiredService<ICredentialStore>();

        await store.SetAsync(CredentialKey.Parse("gateway:token:default"), "t", CancellationToken.None);

        Assert.Equal(CredentialBackendNames.EncryptedFile, (await store.GetStatusAsync(CancellationToken.None)).Backend);
        Assert.True(File.Exists(Path.Combine(_dir.CredentialsDir, EncryptedFileCredentialBackend.FileName)));
        Assert.Equal("t", await store.GetAsync(CredentialKey.Parse("gateway:token:default"), CancellationToken.None));
    }

    [Fact]
    public async Task Backend_can_be_forced_by_configuration()
    {
        await using var provider = Build(_ => null, new() { ["credentials:backend"] = "encrypted-file" });

        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            provider.GetRequiredService<ICredentialStore>().GetStatusAsync(CancellationToken.None));

        Assert.Contains("CARAPACE_CONFIG_PASSWORD", error.Message, StringComparison.Ordinal);
    }

    [SecretServiceFact]
    public async Task With_a_Secret_Service_on_the_session_bus_it_is_the_default()
    {
        SecretServiceAvailability.Require();
        await using var provider = Build(Environment.GetEnvironmentVariable);

        var status = await provider.GetRequiredService<ICredentialStore>().GetStatusAsync(CancellationToken.None);

        Assert.Equal(new CredentialStoreStatus(CredentialBackendNames.SecretService, true), status);
    }

    [SecretServiceFact]
    public async Task Gateway_token_set_in_the_keychain_is_resolved_and_visible_to_secret_tool()
    {
        SecretServiceAvailability.Require();
        await using var provider = Build(n => n == "CARAPACE_GATEWAY_TOKEN" ? null : Environment.GetEnvironmentVariable(n));
        var store = provider.GetRequiredService<ICredentialStore>();
        var value = "gw-" + Guid.NewGuid().ToString("N");

        await store.SetAsync(TokenKey, value, CancellationToken.None);

        // The gateway's own resolver, reading through the store as GatewayHost wires it.
        var resolved = GatewayCredentialResolver.Resolve(Settings, _ => null,
            key => CredentialStoreLookup.Read(store, key, NullLogger.Instance), null);
        Assert.True(resolved.Matches(value));
        Assert.Equal("credential store (gateway:token:default)", resolved.Source);
        Assert.Equal(value, await SecretTool.LookupAsync("gateway:token:default"));
        Assert.Contains(await store.ListAsync(CancellationToken.None), m => m.Key == "gateway:token:default" && m.Backend == CredentialBackendNames.SecretService);
        await store.DeleteAsync(TokenKey, CancellationToken.None);
    }

    [Fact]
    public async Task Start_is_refused_when_a_plaintext_credential_file_exists()
    {
        var path = _dir.Write("credentials.json", """{"token":"plaintext"}""");
        await using var provider = Build(_ => null);
        var check = provider.GetServices<IHostedService>().OfType<CredentialsStartupCheck>().Single();

        var error = await Assert.ThrowsAsync<CredentialException>(() => check.StartAsync(CancellationToken.None));

        Assert.Equal(CredentialsStartupCheck.RefusalCode, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plugin_view_is_created_from_the_container()
    {
        await using var provider = Build(n => n == CredentialEnvironment.ConfigPasswordVariable ? EncryptedStoreTemplate.Password : null);
        var plugin = provider.GetRequiredService<PluginCredentialsFactory>().Create("weather", credentialsGranted: true);

        await plugin.SetAsync("apiKey", "k", CancellationToken.None);

        Assert.Equal("k", await plugin.GetAsync("apiKey", CancellationToken.None));
    }

    [Fact]
    public async Task A_forced_backend_this_OS_lacks_is_store_unavailable_and_names_the_setting()
    {
        var foreign = OperatingSystem.IsMacOS() ? CredentialBackendNames.WindowsCredentialManager : CredentialBackendNames.MacOsKeychain;
        await using var provider = Build(_ => null, new Dictionary<string, string?> { ["credentials:backend"] = foreign });
        var store = provider.GetRequiredService<ICredentialStore>();

        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            store.GetAsync(TokenKey, CancellationToken.None));

        Assert.Contains("credentials.backend", error.Message, StringComparison.Ordinal);
        Assert.Contains(foreign, error.Message, StringComparison.Ordinal);
    }
}
