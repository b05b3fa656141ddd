using Carapace.Abstractions.Credentials;
using Carapace.Storage;

namespace Carapace.Host.Credentials;

/// <summary>
/// An exclusive lock on a lock file, held by an open handle. On Unix .NET takes <c>flock(LOCK_EX)</c>
/// for <see cref="FileShare.None"/>, which excludes other processes and other handles of this process
/// alike (and interoperates with <c>flock(1)</c>); on Windows the share mode does the same. A crashed
/// holder releases the lock with its handle, so there is no stale-lock cleanup to get wrong.
/// </summary>
internal static class CrossProcessFileLock
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<IDisposable> AcquireAsync(string lockPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var options = new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = OwnerOnly.FileMode;
                }

                return new FileStream(lockPath, options);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (DateTime.UtcNow >= deadline)
                {
                    throw new CredentialException(CredentialErrorCodes.StoreTimeout,
                        $"timed out after {timeout.TotalSeconds:0.#} s waiting for the lock '{lockPath}'",
                        "another Carapace process is writing credentials; retry, or check for a hung process", ex);
                }

                await Task.Delay(PollInterval, cancellationToken);
            }
        }
    }
}
