using Carapace.Host.Credentials;
using Carapace.Host.Credentials.SecretService;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Tests.Credentials;

/// <summary>
/// Which collection an alias means. gnome-keyring always answers the <c>default</c> alias (it derives
/// <c>login</c> itself, even after SetAlias("default", "/")), so the unset-alias fallback is driven with
/// scripted answers; the lookups it relies on are checked against the real service.
/// </summary>
public sealed class SecretServiceCollectionResolutionTests
{
    private const string Login = SecretServiceCredentialBackend.LoginCollectionPath;
    private readonly List<string> _existenceChecks = [];

    private Func<string, Task<bool>> Exists(params string[] paths) => path =>
    {
        _existenceChecks.Add(path);
        return Task.FromResult(paths.Contains(path));
    };

    [Fact]
    public async Task Unset_default_alias_falls_back_to_an_existing_login_collection()
    {
        var resolved = await SecretServiceCredentialBackend.ResolveCollectionAsync("default", _ => Task.FromResult<string?>(null), Exists(Login), null);

        Assert.Equal(Login, resolved);
        Assert.Equal([Login], _existenceChecks);
    }

    [Fact]
    public async Task Unset_default_alias_without_a_login_collection_is_still_no_collection()
    {
        Assert.Null(await SecretServiceCredentialBackend.ResolveCollectionAsync("default", _ => Task.FromResult<string?>(null), Exists(), null));
    }

    [Fact]
    public async Task A_set_alias_wins_and_other_aliases_never_fall_back()
    {
        Assert.Equal("/org/freedesktop/secrets/collection/work", await SecretServiceCredentialBackend.ResolveCollectionAsync("default",
            _ => Task.FromResult<string?>("/org/freedesktop/secrets/collection/work"), Exists(Login), null));
        Assert.Null(await SecretServiceCredentialBackend.ResolveCollectionAsync("work", _ => Task.FromResult<string?>(null), Exists(Login), null));
        Assert.Equal("/x/y", await SecretServiceCredentialBackend.ResolveCollectionAsync("/x/y", _ => throw new InvalidOperationException("no lookup"), Exists(), null));
        Assert.Empty(_existenceChecks);
    }

    [SecretServiceFact]
    public async Task The_real_service_reports_which_collections_exist()
    {
        SecretServiceAvailability.Require();
        var address = SecretServiceClient.SessionBusAddress(CredentialEnvironment.Process)!;
        await using var client = await SecretServiceClient.ConnectAsync(address, SecretServiceSessionMode.None, CancellationToken.None);

        Assert.True(await client.CollectionExistsAsync(Login));
        Assert.False(await client.CollectionExistsAsync("/org/freedesktop/secrets/collection/carapace_no_such_collection"));
        Assert.Equal(Login, await SecretServiceCredentialBackend.ResolveCollectionAsync(client, new SecretServiceOptions(), null));
    }

    [SecretServiceFact]
    public async Task The_negotiated_session_algorithm_is_logged()
    {
        SecretServiceAvailability.Require();
        var logger = new ListLogger();
        await using var backend = new SecretServiceCredentialBackend(CredentialEnvironment.Process, new SecretServiceOptions(), logger);

        Assert.Null(await backend.GetAsync($"test:logging:{Guid.NewGuid():N}"[..30], CancellationToken.None));

        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Information
            && l.Text.Contains($"session opened with algorithm {SecretServiceSessionCrypto.DhAlgorithm}", StringComparison.Ordinal));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
