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
        var env = new CredentialEnvironment(name => name == "CARAPACE_CREDENTIAL_PLUGIN_WEATHER_API__2KEY" ? "from-env" : null);
        var backend = new EnvOnlyCredentialBackend(env);

        Assert.Equal("from-env", await backend.GetAsync("plugin:weather:api.key", CancellationToken.None));
        Assert.Null(await backend.GetAsync("plugin:weather:api_key", CancellationToken.None));
        Assert.Null(await backend.GetAsync("plugin:weather:other", CancellationToken.None));
    }

    [Theory]
    [InlineData("gateway:token:default", "CARAPACE_CREDENTIAL_GATEWAY_TOKEN_DEFAULT")]
    [InlineData("gateway:password:default", "CARAPACE_CREDENTIAL_GATEWAY_PASSWORD_DEFAULT")]
    [InlineData("provider:openai:default", "CARAPACE_CREDENTIAL_PROVIDER_OPENAI_DEFAULT")]
    [InlineData("plugin:weather:apiKey", "CARAPACE_CREDENTIAL_PLUGIN_WEATHER_API__KEY")]
    [InlineData("plugin:weather-pro:key", "CARAPACE_CREDENTIAL_PLUGIN_WEATHER__1PRO_KEY")]
    [InlineData("plugin:weather:pro_key", "CARAPACE_CREDENTIAL_PLUGIN_WEATHER_PRO__0KEY")]
    [InlineData("plugin:weather:pro-key", "CARAPACE_CREDENTIAL_PLUGIN_WEATHER_PRO__1KEY")]
    [InlineData("plugin:w:.x", "CARAPACE_CREDENTIAL_PLUGIN_W___2X")]
    [InlineData("my_kind:a:B9", "CARAPACE_CREDENTIAL_MY__0KIND_A___B9")]
    public void Variable_names_follow_the_documented_escape_rule(string key, string variable) =>
        Assert.Equal(variable, CredentialEnvironment.VariableFor(key));

    [Fact]
    public async Task A_plugin_never_reads_another_plugins_variable()
    {
        // Before the escape rule, ':', '-', '_' and '.' all became '_' and all three keys read this one variable.
        var variables = new Dictionary<string, string> { ["CARAPACE_CREDENTIAL_PLUGIN_WEATHER_PRO_KEY"] = "weather-pro-secret" };
        var store = StoreFactory.Create(_dir, new EnvOnlyCredentialBackend(new CredentialEnvironment(n => variables.GetValueOrDefault(n))),
            new RecordingAuditLog());
        var factory = new PluginCredentialsFactory(store, new PluginCredentialLimiter(TimeProvider.System), new RecordingAuditLog());
        var weather = factory.Create("weather", credentialsGranted: true);
        var weatherPro = factory.Create("weather-pro", credentialsGranted: true);

        Assert.Null(await weather.GetAsync("pro_key", CancellationToken.None));
        Assert.Null(await weather.GetAsync("pro-key", CancellationToken.None));
        Assert.Null(await weatherPro.GetAsync("key", CancellationToken.None));

        // Each key has a variable of its own.
        variables[CredentialEnvironment.VariableFor("plugin:weather-pro:key")] = "for-weather-pro";
        variables[CredentialEnvironment.VariableFor("plugin:weather:pro_key")] = "for-weather-underscore";
        variables[CredentialEnvironment.VariableFor("plugin:weather:pro-key")] = "for-weather-dash";
        Assert.Equal("for-weather-pro", await weatherPro.GetAsync("key", CancellationToken.None));
        Assert.Equal("for-weather-underscore", await weather.GetAsync("pro_key", CancellationToken.None));
        Assert.Equal("for-weather-dash", await weather.GetAsync("pro-key", CancellationToken.None));
    }

    [Fact]
    public void Distinct_keys_never_share_a_variable()
    {
        // Every key over a small alphabet that exercises each escape, separators next to escapes, and case.
        var alphabet = new[] { "a", "A", "b", "0", "_", "-", ".", "a_", "_a", "A-", ".b" };
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kind in new[] { "a", "a_b", "a-b", "ab", "a0" })
        {
            foreach (var scope in alphabet)
            {
                foreach (var id in alphabet)
                {
                    if (!CredentialKey.TryParse($"{kind}:{scope}:{id}", out var key, out _))
                    {
                        continue;
                    }

                    var variable = CredentialEnvironment.VariableFor(key.ToString());
                    Assert.True(seen.TryAdd(variable, key.ToString()), $"{key} and {seen.GetValueOrDefault(variable)} both map to {variable}");
                }
            }
        }

        Assert.True(seen.Count > 300, $"only {seen.Count} keys were checked");
    }

    [Fact]
    public async Task The_refusal_names_the_variable_to_set_instead()
    {
        var backend = new EnvOnlyCredentialBackend(new CredentialEnvironment(_ => null));

        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            backend.SetAsync("plugin:weather-pro:apiKey", "x", CancellationToken.None));

        Assert.Contains("CARAPACE_CREDENTIAL_PLUGIN_WEATHER__1PRO_API__KEY", error.Hint, StringComparison.Ordinal);
    }
}
