using System.Diagnostics;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;
using Carapace.Host.Credentials.SecretService;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Tests.Credentials;

/// <summary>Against the real Secret Service (gnome-keyring under tests/setup/with-secret-service.sh).</summary>
public sealed class SecretServiceCredentialBackendTests : IAsyncLifetime
{
    private readonly SecretServiceCredentialBackend _backend =
        new(CredentialEnvironment.Process, new SecretServiceOptions(), NullLogger.Instance);

    public Task InitializeAsync()
    {
        SecretServiceAvailability.Require();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _backend.DisposeAsync().AsTask();

    private static string NewKey() => $"test:secret-service:{Guid.NewGuid():N}"[..40];

    [SecretServiceFact]
    public async Task Set_then_get_round_trips_over_an_encrypted_session_and_secret_tool_sees_the_item()
    {
        var key = NewKey();
        await _backend.SetAsync(key, "s3cr3t-värde ✓", CancellationToken.None);

        Assert.Equal("s3cr3t-värde ✓", await _backend.GetAsync(key, CancellationToken.None));
        Assert.Equal(SecretServiceSessionCrypto.DhAlgorithm, _backend.SessionAlgorithm);
        Assert.Equal("s3cr3t-värde ✓", await SecretTool.LookupAsync(key));
        var listing = await SecretTool.SearchAsync(key);
        Assert.Contains($"label = carapace {key}", listing, StringComparison.Ordinal);
        Assert.Contains("attribute.service = carapace", listing, StringComparison.Ordinal);
    }

    [SecretServiceFact]
    public async Task Value_stored_by_secret_tool_is_read_back()
    {
        var key = NewKey();
        await SecretTool.StoreAsync(key, "from-libsecret");

        Assert.Equal("from-libsecret", await _backend.GetAsync(key, CancellationToken.None));
    }

    [SecretServiceFact]
    public async Task Plain_session_round_trips_too()
    {
        await using var plain = new SecretServiceCredentialBackend(CredentialEnvironment.Process,
            new SecretServiceOptions { Session = "plain" }, NullLogger.Instance);
        var key = NewKey();
        await plain.SetAsync(key, "plain-session-value", CancellationToken.None);

        Assert.Equal(SecretServiceSessionCrypto.PlainAlgorithm, plain.SessionAlgorithm);
        Assert.Equal("plain-session-value", await plain.GetAsync(key, CancellationToken.None));
        Assert.Equal("plain-session-value", await SecretTool.LookupAsync(key));
    }

    [SecretServiceFact]
    public async Task Many_sessions_all_agree_with_libsecret()
    {
        // Each new backend negotiates a new DH key; a wrong key derivation would show up here.
        for (var i = 0; i < 8; i++)
        {
            await using var backend = new SecretServiceCredentialBackend(CredentialEnvironment.Process, new SecretServiceOptions(), NullLogger.Instance);
            var key = NewKey();
            await backend.SetAsync(key, $"value-{i}", CancellationToken.None);
            Assert.Equal($"value-{i}", await SecretTool.LookupAsync(key));
            await SecretTool.StoreAsync(key, $"other-{i}");
            Assert.Equal($"other-{i}", await backend.GetAsync(key, CancellationToken.None));
        }
    }

    [SecretServiceFact]
    public async Task Set_replaces_the_existing_item()
    {
        var key = NewKey();
        await _backend.SetAsync(key, "first", CancellationToken.None);
        await _backend.SetAsync(key, "second", CancellationToken.None);

        Assert.Equal("second", await _backend.GetAsync(key, CancellationToken.None));
        var listing = await SecretTool.SearchAsync(key);
        Assert.Single(listing.Split('\n'), line => line.StartsWith("label = ", StringComparison.Ordinal));
    }

    [SecretServiceFact]
    public async Task Delete_removes_the_item_and_get_of_a_missing_key_is_null()
    {
        var key = NewKey();
        await _backend.SetAsync(key, "to-delete", CancellationToken.None);

        Assert.True(await _backend.DeleteAsync(key, CancellationToken.None));
        Assert.Null(await _backend.GetAsync(key, CancellationToken.None));
        Assert.Null(await SecretTool.LookupAsync(key));
        Assert.False(await _backend.DeleteAsync(key, CancellationToken.None));
    }

    [SecretServiceFact]
    public async Task A_64_KiB_value_round_trips()
    {
        var key = NewKey();
        var value = new string('x', CredentialStore.MaxValueBytes);
        await _backend.SetAsync(key, value, CancellationToken.None);

        Assert.Equal(value, await _backend.GetAsync(key, CancellationToken.None));
    }

    [SecretServiceFact]
    public async Task Locked_collection_fails_fast_with_credential_store_locked()
    {
        var collection = await GnomeKeyringTestCollection.CreateLockedAsync("carapace-locked-" + Guid.NewGuid().ToString("N")[..8]);
        await using var locked = new SecretServiceCredentialBackend(CredentialEnvironment.Process,
            new SecretServiceOptions { Collection = collection }, NullLogger.Instance);

        var watch = Stopwatch.StartNew();
        var read = await Assert.ThrowsAsync<CredentialException>(() => locked.GetAsync("test:locked:a", CancellationToken.None));
        var write = await Assert.ThrowsAsync<CredentialException>(() => locked.SetAsync("test:locked:a", "v", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreLocked, read.Code);
        Assert.Equal(CredentialErrorCodes.StoreLocked, write.Code);
        Assert.Contains("locked", read.Message, StringComparison.Ordinal);
        Assert.NotNull(read.Hint);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [SecretServiceFact]
    public async Task Probe_finds_the_service_and_a_missing_bus_is_reported()
    {
        var found = await SecretServiceCredentialBackend.ProbeAsync(CredentialEnvironment.Process, new SecretServiceOptions(), TimeSpan.FromSeconds(5));
        var noBus = await SecretServiceCredentialBackend.ProbeAsync(new CredentialEnvironment(_ => null), new SecretServiceOptions(), TimeSpan.FromSeconds(5));

        Assert.True(found.Available, found.Reason);
        Assert.False(found.Locked);
        Assert.False(noBus.Available);
        Assert.Contains("DBUS_SESSION_BUS_ADDRESS", noBus.Reason, StringComparison.Ordinal);
    }
}
