using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;

namespace Carapace.Host.Tests.Credentials;

public sealed class GatewaySecretResolverTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();
    private readonly CredentialStore _store;

    public GatewaySecretResolverTests() => _store = StoreFactory.Create(_dir, new InMemoryCredentialBackend(), new RecordingAuditLog());

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Environment_wins_over_the_store()
    {
        await _store.SetAsync(GatewaySecretResolver.TokenKey, "from-store", CancellationToken.None);
        var resolver = new GatewaySecretResolver(_store, new CredentialEnvironment(n => n == "CARAPACE_GATEWAY_TOKEN" ? "from-env" : null));

        var token = await resolver.ResolveTokenAsync(CancellationToken.None);

        Assert.Equal(("from-env", SecretSource.Environment), (token!.Value, token.Source));
        Assert.DoesNotContain("from-env", token.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Store_is_used_when_the_environment_is_empty()
    {
        await _store.SetAsync(GatewaySecretResolver.TokenKey, "token-from-store", CancellationToken.None);
        await _store.SetAsync(GatewaySecretResolver.PasswordKey, "password-from-store", CancellationToken.None);
        var resolver = new GatewaySecretResolver(_store, new CredentialEnvironment(n => n == "CARAPACE_GATEWAY_TOKEN" ? "" : null));

        var token = await resolver.ResolveTokenAsync(CancellationToken.None);
        var password = await resolver.ResolvePasswordAsync(CancellationToken.None);

        Assert.Equal(("token-from-store", SecretSource.CredentialStore, "gateway:token:default"), (token!.Value, token.Source, token.Origin));
        Assert.Equal("password-from-store", password!.Value);
    }

    [Fact]
    public async Task Nothing_configured_is_null()
    {
        var resolver = new GatewaySecretResolver(_store, new CredentialEnvironment(_ => null));

        Assert.Null(await resolver.ResolveTokenAsync(CancellationToken.None));
        Assert.Null(await resolver.ResolvePasswordAsync(CancellationToken.None));
    }
}
