using System.Collections.Concurrent;
using Carapace.Host.Credentials;

namespace Carapace.Host.Tests.Credentials.Support;

/// <summary>A unit seam for tests of the store facade and plugin view (backends have their own real tests).</summary>
internal sealed class InMemoryCredentialBackend : ICredentialBackend
{
    public ConcurrentDictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public string Name => "in-memory";

    public bool IsWritable => true;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(Values.TryGetValue(key, out var v) ? v : null);

    public Task SetAsync(string key, string value, CancellationToken cancellationToken)
    {
        Values[key] = value;
        return Task.CompletedTask;
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => Task.FromResult(Values.TryRemove(key, out _));
}

/// <summary>A backend whose calls never complete, to prove the store's timeout.</summary>
internal sealed class HangingCredentialBackend : ICredentialBackend
{
    public string Name => "hanging";

    public bool IsWritable => true;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => new TaskCompletionSource<string?>().Task;

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) => new TaskCompletionSource().Task;

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => new TaskCompletionSource<bool>().Task;
}
