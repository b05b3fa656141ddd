using Carapace.Abstractions.Credentials;
using Carapace.Host.Audit;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;

namespace Carapace.Host.Tests.Credentials;

public sealed class CredentialStoreTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();
    private readonly InMemoryCredentialBackend _backend = new();
    private readonly RecordingAuditLog _audit = new();
    private readonly CredentialStore _store;

    public CredentialStoreTests() => _store = StoreFactory.Create(_dir, _backend, _audit);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Set_updates_the_index_and_audits_without_the_value()
    {
        var key = CredentialKey.Parse("plugin:weather:apiKey");
        await _store.SetAsync(key, "value-canary-91b", CancellationToken.None);

        Assert.Equal("value-canary-91b", await _store.GetAsync(key, CancellationToken.None));
        var entry = Assert.Single(await _store.ListAsync(CancellationToken.None));
        Assert.Equal(("plugin:weather:apiKey", "in-memory", "weather"), (entry.Key, entry.Backend, entry.OwnerPlugin));
        var written = Assert.Single(_audit.Named(AuditEvents.CredentialWritten));
        Assert.Equal("plugin:weather:apiKey", written["key"]);
        Assert.DoesNotContain("value-canary-91b", _audit.AllText(), StringComparison.Ordinal);
        Assert.DoesNotContain("value-canary-91b", File.ReadAllText(Path.Combine(_dir.CredentialsDir, CredentialIndex.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_removes_index_entry_and_audits()
    {
        var key = CredentialKey.Parse("gateway:token:default");
        await _store.SetAsync(key, "v", CancellationToken.None);

        Assert.True(await _store.DeleteAsync(key, CancellationToken.None));
        Assert.Empty(await _store.ListAsync(CancellationToken.None));
        Assert.Single(_audit.Named(AuditEvents.CredentialDeleted));
        Assert.False(await _store.DeleteAsync(key, CancellationToken.None));
        Assert.Single(_audit.Named(AuditEvents.CredentialDeleted));
    }

    [Fact]
    public async Task Values_over_64_KiB_are_refused()
    {
        var key = CredentialKey.Parse("gateway:token:default");
        await _store.SetAsync(key, new string('a', CredentialStore.MaxValueBytes), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CredentialException>(() =>
            _store.SetAsync(key, new string('a', CredentialStore.MaxValueBytes + 1), CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.ValueTooLarge, error.Code);
        Assert.Equal(400, CredentialErrors.HttpStatus(error.Code));
    }

    [Fact]
    public async Task A_hanging_backend_times_out_with_a_clear_error()
    {
        var store = StoreFactory.Create(_dir, new HangingCredentialBackend(), _audit, options: new CredentialOptions { TimeoutSeconds = 1 });

        var error = await Assert.ThrowsAsync<CredentialException>(() =>
            store.GetAsync(CredentialKey.Parse("gateway:token:default"), CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreTimeout, error.Code);
    }

    [Fact]
    public async Task Caller_cancellation_is_honoured()
    {
        var store = StoreFactory.Create(_dir, new HangingCredentialBackend(), _audit);
        using var cts = new CancellationTokenSource();
        var pending = store.SetAsync(CredentialKey.Parse("gateway:token:default"), "v", cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Empty(_audit.Events);
    }

    [Fact]
    public async Task Status_reports_the_backend()
    {
        Assert.Equal(new CredentialStoreStatus("in-memory", true), await _store.GetStatusAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_backend_whose_native_library_cannot_load_is_credential_store_unavailable()
    {
        var store = StoreFactory.Create(_dir, new NativeLoadFailureBackend(), _audit);

        foreach (var call in new Func<Task>[]
                 {
                     () => store.GetAsync(CredentialKey.Parse("gateway:token:default"), CancellationToken.None),
                     () => store.SetAsync(CredentialKey.Parse("gateway:token:default"), "v", CancellationToken.None),
                     () => store.DeleteAsync(CredentialKey.Parse("gateway:token:default"), CancellationToken.None),
                 })
        {
            var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(call);
            Assert.Equal(CredentialErrorCodes.StoreUnavailable, error.Code);
            Assert.Contains("native library", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_real_keychain_backend_of_another_OS_fails_as_store_unavailable_not_a_crash()
    {
        // The real P/Invoke: on Linux, Security.framework (or advapi32.dll) is not there to load.
        ICredentialBackend foreign = OperatingSystem.IsMacOS()
            ? new Carapace.Host.Credentials.Platform.WindowsCredentialManagerBackend()
            : new Carapace.Host.Credentials.Platform.MacOsKeychainCredentialBackend();
        var store = StoreFactory.Create(_dir, foreign, _audit);

        var error = await Assert.ThrowsAsync<CredentialStoreUnavailableException>(() =>
            store.GetAsync(CredentialKey.Parse("gateway:token:default"), CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreUnavailable, error.Code);
    }

    private sealed class NativeLoadFailureBackend : ICredentialBackend
    {
        public string Name => "native";

        public bool IsWritable => true;

        public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => throw new DllNotFoundException("libmissing.so");

        public Task SetAsync(string key, string value, CancellationToken cancellationToken) => Task.Run(() => throw new EntryPointNotFoundException("Missing"));

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => Task.FromException<bool>(new BadImageFormatException("bad"));
    }
}
