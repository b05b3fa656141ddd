using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Carapace.Storage;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Credentials;

/// <summary>
/// <c>&lt;state&gt;/credentials/index.json</c>: non-secret metadata of every stored credential (key,
/// backend, updatedAt, owner plugin) so <c>cara credentials list</c> and quotas work without reading
/// the keychain. Writes take <c>index.lock</c>, re-read under it, keep the previous version as
/// <c>index.json.bak</c> and replace the file atomically (0600). A corrupt index is restored from the
/// backup; if that is corrupt too it is renamed to <c>index.corrupt.&lt;unix ms&gt;</c> and rebuilt empty.
/// </summary>
internal sealed class CredentialIndex
{
    public const string FileName = "index.json";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly StateDirectory _state;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public CredentialIndex(StateDirectory state, TimeProvider time, ILogger<CredentialIndex> logger)
    {
        _state = state;
        _time = time;
        _logger = logger;
    }

    public string IndexPath => Path.Combine(_state.CredentialsDir, FileName);
    public string BackupPath => IndexPath + ".bak";
    private string LockPath => Path.Combine(_state.CredentialsDir, "index.lock");

    public async Task<IReadOnlyList<CredentialMetadata>> ListAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(IndexPath) && !File.Exists(BackupPath))
            {
                return [];
            }

            EnsureDirectory();
            using var fileLock = await CrossProcessFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), cancellationToken);
            return ToMetadata(LoadWithRecovery());
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task UpsertAsync(CredentialKey key, string backend, CancellationToken cancellationToken) =>
        MutateAsync(doc =>
        {
            doc.Entries[key.ToString()] = new IndexEntry
            {
                Backend = backend,
                UpdatedAt = _time.GetUtcNow(),
                OwnerPlugin = key.OwnerPlugin,
            };
        }, cancellationToken);

    public Task RemoveAsync(CredentialKey key, CancellationToken cancellationToken) =>
        MutateAsync(doc => doc.Entries.Remove(key.ToString()), cancellationToken);

    private async Task MutateAsync(Action<IndexDocument> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            EnsureDirectory();
            using var fileLock = await CrossProcessFileLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(5), cancellationToken);
            var doc = LoadWithRecovery();
            change(doc);
            if (File.Exists(IndexPath))
            {
                // The current file parsed (LoadWithRecovery restored it otherwise), so it is a good backup.
                AtomicFile.WriteAllBytes(BackupPath, File.ReadAllBytes(IndexPath));
            }

            AtomicFile.WriteAllBytes(IndexPath, JsonSerializer.SerializeToUtf8Bytes(doc, Json));
        }
        finally
        {
            _gate.Release();
        }
    }

    private void EnsureDirectory() => _state.EnsureSubdirectory("credentials");

    private IndexDocument LoadWithRecovery()
    {
        if (!File.Exists(IndexPath))
        {
            if (TryRead(BackupPath, out var fromBackupOnly))
            {
                _logger.LogWarning("credential index {Path} was missing; restored from {Backup}", IndexPath, BackupPath);
                AtomicFile.WriteAllBytes(IndexPath, File.ReadAllBytes(BackupPath));
                return fromBackupOnly;
            }

            return new IndexDocument();
        }

        if (TryRead(IndexPath, out var doc))
        {
            return doc;
        }

        if (TryRead(BackupPath, out var backup))
        {
            _logger.LogWarning("credential index {Path} was corrupt; restored from {Backup}", IndexPath, BackupPath);
            AtomicFile.WriteAllBytes(IndexPath, File.ReadAllBytes(BackupPath));
            return backup;
        }

        var quarantine = Path.Combine(_state.CredentialsDir,
            "index.corrupt." + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        File.Move(IndexPath, quarantine, overwrite: false);
        _logger.LogWarning(
            "credential index {Path} and its backup were corrupt; moved it to {Quarantine} and started a new index " +
            "(credentials themselves are unaffected; re-set them to list them again)", IndexPath, quarantine);
        return new IndexDocument();
    }

    private static bool TryRead(string path, out IndexDocument doc)
    {
        doc = new IndexDocument();
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            var parsed = JsonSerializer.Deserialize<IndexDocument>(File.ReadAllBytes(path), Json);
            if (parsed is null || parsed.Version != CurrentVersion || parsed.Entries is null ||
                parsed.Entries.Any(e => e.Value is null || !CredentialKey.TryParse(e.Key, out _, out _)))
            {
                return false;
            }

            doc = parsed;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static List<CredentialMetadata> ToMetadata(IndexDocument doc) =>
        doc.Entries
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => new CredentialMetadata(e.Key, e.Value.Backend, e.Value.UpdatedAt, e.Value.OwnerPlugin))
            .ToList();

    private sealed class IndexDocument
    {
        public int Version { get; set; } = CurrentVersion;

        public Dictionary<string, IndexEntry> Entries { get; set; } = new(StringComparer.Ordinal);
    }

    private sealed class IndexEntry
    {
        public string Backend { get; set; } = "";

        public DateTimeOffset UpdatedAt { get; set; }

        public string? OwnerPlugin { get; set; }
    }
}
