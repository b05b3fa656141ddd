using Carapace.Abstractions;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Audit;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Credentials;

public sealed class PluginCredentialsTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();
    private readonly InMemoryCredentialBackend _backend = new();
    private readonly RecordingAuditLog _audit = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CredentialStore _store;
    private readonly PluginCredentialsFactory _factory;

    public PluginCredentialsTests()
    {
        _store = StoreFactory.Create(_dir, _backend, _audit, _time);
        _factory = new PluginCredentialsFactory(_store, new PluginCredentialLimiter(_time), _audit);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Values_are_stored_under_the_plugin_scope_only()
    {
        var weather = _factory.Create("weather", credentialsGranted: true);
        var other = _factory.Create("other", credentialsGranted: true);

        await weather.SetAsync("apiKey", "w-secret", CancellationToken.None);

        Assert.Equal("w-secret", _backend.Values["plugin:weather:apiKey"]);
        Assert.Equal("w-secret", await weather.GetAsync("apiKey", CancellationToken.None));
        Assert.Null(await other.GetAsync("apiKey", CancellationToken.None));
        Assert.True(await weather.DeleteAsync("apiKey", CancellationToken.None));
        Assert.Empty(_backend.Values);
    }

    [Theory]
    [InlineData("../gateway")]
    [InlineData("a:b")]
    [InlineData("x/y")]
    [InlineData("")]
    public async Task Names_cannot_escape_the_scope(string name)
    {
        var plugin = _factory.Create("weather", credentialsGranted: true);

        var error = await Assert.ThrowsAsync<CredentialException>(() => plugin.SetAsync(name, "v", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.InvalidKey, error.Code);
        Assert.Empty(_backend.Values);
    }

    [Fact]
    public async Task Plugin_ids_with_path_characters_are_sanitised()
    {
        var plugin = _factory.Create("../evil", credentialsGranted: true);

        await plugin.SetAsync("k", "v", CancellationToken.None);

        Assert.Equal(["plugin:__evil:k"], _backend.Values.Keys);
    }

    [Fact]
    public async Task Without_the_grant_every_call_is_denied_and_audited()
    {
        var plugin = _factory.Create("weather", credentialsGranted: false);

        var get = await Assert.ThrowsAsync<CapabilityDeniedException>(() => plugin.GetAsync("apiKey", CancellationToken.None));
        await Assert.ThrowsAsync<CapabilityDeniedException>(() => plugin.SetAsync("apiKey", "secret-canary", CancellationToken.None));
        await Assert.ThrowsAsync<CapabilityDeniedException>(() => plugin.DeleteAsync("apiKey", CancellationToken.None));

        Assert.Equal(("weather", "credentials"), (get.PluginId, get.Capability));
        var denials = _audit.Named(AuditEvents.CapabilityDenied).ToList();
        Assert.Equal(3, denials.Count);
        Assert.All(denials, d => Assert.Equal("credentials", d["capability"]));
        Assert.DoesNotContain("secret-canary", _audit.AllText(), StringComparison.Ordinal);
        Assert.Empty(_backend.Values);
    }

    [Fact]
    public async Task Eleventh_write_within_a_minute_is_rate_limited_then_allowed_after_the_window()
    {
        var plugin = _factory.Create("weather", credentialsGranted: true);
        for (var i = 0; i < PluginCredentialLimiter.MaxWritesPerWindow; i++)
        {
            await plugin.SetAsync($"k{i}", "v", CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var error = await Assert.ThrowsAsync<CredentialException>(() => plugin.SetAsync("k10", "v", CancellationToken.None));
        Assert.Equal(CredentialErrorCodes.RateLimited, error.Code);
        Assert.Equal(429, CredentialErrors.HttpStatus(error.Code));
        await Assert.ThrowsAsync<CredentialException>(() => plugin.DeleteAsync("k0", CancellationToken.None));
        Assert.Contains(_audit.Named(AuditEvents.CapabilityDenied), d => (string?)d["reason"] == CredentialErrorCodes.RateLimited);

        // Another plugin has its own budget.
        await _factory.Create("other", credentialsGranted: true).SetAsync("k", "v", CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(51)); // the first write is now a minute old
        await plugin.SetAsync("k10", "v", CancellationToken.None);
        Assert.Equal(12, _backend.Values.Count);
    }

    [Fact]
    public async Task Quota_of_100_entries_per_plugin_is_enforced_but_updates_still_work()
    {
        var plugin = _factory.Create("weather", credentialsGranted: true);
        for (var i = 0; i < PluginCredentialLimiter.MaxEntries; i++)
        {
            if (i > 0 && i % PluginCredentialLimiter.MaxWritesPerWindow == 0)
            {
                _time.Advance(PluginCredentialLimiter.Window);
            }

            await plugin.SetAsync($"k{i}", "v", CancellationToken.None);
        }

        _time.Advance(PluginCredentialLimiter.Window);
        var error = await Assert.ThrowsAsync<CredentialException>(() => plugin.SetAsync("one-too-many", "v", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.QuotaExceeded, error.Code);
        Assert.Contains(_audit.Named(AuditEvents.CapabilityDenied), d => (string?)d["reason"] == CredentialErrorCodes.QuotaExceeded);
        await plugin.SetAsync("k5", "updated", CancellationToken.None);
        Assert.Equal("updated", _backend.Values["plugin:weather:k5"]);
        Assert.Equal(PluginCredentialLimiter.MaxEntries, _backend.Values.Count);
    }
}
