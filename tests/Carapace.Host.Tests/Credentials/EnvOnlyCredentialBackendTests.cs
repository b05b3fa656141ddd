using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;

namespace Carapace.Host.Tests.Credentials;

public sealed class EnvOnlyCredentialBackendTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Write_is_refused_with_code_and_hint_and_no_file_is_created()
    {
        var env = new CredentialEnvironment(_ => null);
        var store = StoreFactory.Create(_dir, new EnvOnlyCredentialBackend(env, "no Secret Service"), new RecordingAuditLog());

        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            store.SetAsync(CredentialKey.Parse("gateway:token:default"), "plaintext-canary", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreUnavailable, error.Code);
        Assert.Contains("CARAPACE_CONFIG_PASSWORD", error.Hint, StringComparison.Ordinal);
        Assert.Contains("env-only", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir.Root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Delete_is_refused_too()
    {
        var backend = new EnvOnlyCredentialBackend(new CredentialEnvironment(_ => null));

        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() => backend.DeleteAsync("gateway:token:default", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreUnavailable, error.Code);
    }

    [Fact]
    public async Task Reads_come_from_the_environment()
    {
        var env = new CredentialEnvironment(name => name == "CARAPACE_CREDENTIAL_PLUGIN_WEATHER_API_KEY" ? "from-env" : null);
        var backend = new EnvOnlyCredentialBackend(env);

        Assert.Equal("from-env", await backend.GetAsync("plugin:weather:api.key", CancellationToken.None));
        Assert.Null(await backend.GetAsync("plugin:weather:other", CancellationToken.None));
        Assert.Equal("CARAPACE_CREDENTIAL_GATEWAY_TOKEN_DEFAULT", CredentialEnvironment.VariableFor("gateway:token:default"));
    }
}
