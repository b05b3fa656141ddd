using System.Text.Json;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Credentials;

public sealed class CredentialIndexTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly CredentialIndex _index;

    public CredentialIndexTests() => _index = new CredentialIndex(_dir.State, _time, NullLogger<CredentialIndex>.Instance);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Upsert_records_metadata_only_with_owner_only_mode()
    {
        await _index.UpsertAsync(CredentialKey.Parse("plugin:weather:apiKey"), "secret-service", CancellationToken.None);

        var entry = Assert.Single(await _index.ListAsync(CancellationToken.None));
        Assert.Equal(new CredentialMetadata("plugin:weather:apiKey", "secret-service", _time.GetUtcNow(), "weather"), entry);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_index.IndexPath));
        using var json = JsonDocument.Parse(File.ReadAllText(_index.IndexPath));
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Remove_deletes_the_entry_and_keeps_a_backup_of_the_previous_version()
    {
        await _index.UpsertAsync(CredentialKey.Parse("gateway:token:default"), "encrypted-file", CancellationToken.None);
        await _index.UpsertAsync(CredentialKey.Parse("gateway:password:default"), "encrypted-file", CancellationToken.None);
        await _index.RemoveAsync(CredentialKey.Parse("gateway:token:default"), CancellationToken.None);

        Assert.Equal(["gateway:password:default"], (await _index.ListAsync(CancellationToken.None)).Select(e => e.Key));
        Assert.Contains("gateway:token:default", File.ReadAllText(_index.BackupPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupt_index_is_restored_from_the_backup()
    {
        await _index.UpsertAsync(CredentialKey.Parse("gateway:token:default"), "encrypted-file", CancellationToken.None);
        await _index.UpsertAsync(CredentialKey.Parse("gateway:password:default"), "encrypted-file", CancellationToken.None);
        File.WriteAllText(_index.IndexPath, "{ not json");

        var entries = await _index.ListAsync(CancellationToken.None);

        Assert.Equal(["gateway:token:default"], entries.Select(e => e.Key));
        Assert.Contains("gateway:token:default", File.ReadAllText(_index.IndexPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupt_index_without_a_good_backup_is_quarantined_and_rebuilt()
    {
        await _index.UpsertAsync(CredentialKey.Parse("gateway:token:default"), "encrypted-file", CancellationToken.None);
        File.WriteAllText(_index.IndexPath, "garbage");
        File.WriteAllText(_index.BackupPath, "also garbage");

        Assert.Empty(await _index.ListAsync(CancellationToken.None));
        var quarantined = Path.Combine(_dir.CredentialsDir, $"index.corrupt.{_time.GetUtcNow().ToUnixTimeMilliseconds()}");
        Assert.Equal("garbage", File.ReadAllText(quarantined));

        await _index.UpsertAsync(CredentialKey.Parse("gateway:password:default"), "encrypted-file", CancellationToken.None);
        Assert.Single(await _index.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_updates_from_separate_instances_lose_nothing()
    {
        var other = new CredentialIndex(_dir.State, _time, NullLogger<CredentialIndex>.Instance);
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? _index : other).UpsertAsync(CredentialKey.Parse($"test:index:k{i}"), "x", CancellationToken.None)));

        Assert.Equal(20, (await _index.ListAsync(CancellationToken.None)).Count);
    }
}
