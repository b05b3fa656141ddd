using Carapace.Storage;

namespace Carapace.Host.Credentials;

/// <summary>
/// The fallback store when no keychain is reachable and <c>CARAPACE_CONFIG_PASSWORD</c> is set:
/// one file, <c>&lt;state&gt;/credentials/store.enc</c> (see <see cref="EncryptedCredentialFile"/> for the format),
/// written atomically with 0600. Every write takes <c>store.enc.lock</c> (shared with other processes)
/// and re-reads the file under it, so concurrent writers never lose an update; a file that does not
/// open with the password, or is damaged, is reported and never overwritten.
/// </summary>
internal sealed class EncryptedFileCredentialBackend : ICredentialBackend
{
    public const string FileName = "store.enc";

    private readonly StateDirectory _state;
    private readonly string _password;
    private readonly TimeSpan _lockTimeout;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public EncryptedFileCredentialBackend(StateDirectory state, string password, TimeSpan? lockTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        _state = state;
        _password = password;
        _lockTimeout = lockTimeout ?? TimeSpan.FromSeconds(10);
    }

    public string Name => CredentialBackendNames.EncryptedFile;

    public bool IsWritable => true;

    public string FilePath => Path.Combine(_state.CredentialsDir, FileName);

    public string LockPath => FilePath + ".lock";

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Writers replace the file by rename, so a lock-free read sees one whole version.
        var file = TryLoad();
        return Task.FromResult(file?.Get(key, FilePath));
    }

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) =>
        UnderLockAsync(() =>
        {
            var file = TryLoad() ?? EncryptedCredentialFile.Create(_password);
            file.Set(key, value);
            AtomicFile.WriteAllBytes(FilePath, file.Serialize());
            return true;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        UnderLockAsync(() =>
        {
            var file = TryLoad();
            if (file is null || !file.Remove(key))
            {
                return false;
            }

            AtomicFile.WriteAllBytes(FilePath, file.Serialize());
            return true;
        }, cancellationToken);

    // The Argon2id derivation (~100 ms, far more on a loaded machine) is cached per process. Doing it
    // before taking the cross-process lock keeps the lock held for the read-modify-write only, so N
    // writers queue behind N short critical sections rather than N key derivations. Problems with the
    // file are left for the locked read to report.
    private void WarmKey()
    {
        try
        {
            TryLoad();
        }
        catch (Carapace.Abstractions.Credentials.CredentialException)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private EncryptedCredentialFile? TryLoad()
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(FilePath);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        return EncryptedCredentialFile.Parse(data, _password, FilePath);
    }

    private async Task<T> UnderLockAsync<T>(Func<T> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _state.EnsureSubdirectory("credentials");
            WarmKey();
            using var fileLock = await CrossProcessFileLock.AcquireAsync(LockPath, _lockTimeout, cancellationToken);
            return action();
        }
        finally
        {
            _gate.Release();
        }
    }
}
