using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Auth;

/// <summary>
/// Reads a gateway secret (<c>gateway:token:default</c>, …) from the credential store, once, at start.
/// A store that cannot answer (locked keyring, wrong file password) is logged and treated as "no
/// secret": the control API then fails closed instead of the gateway refusing to start.
/// </summary>
internal static class CredentialStoreLookup
{
    public static string? Read(ICredentialStore store, string key, ILogger log)
    {
        try
        {
            // Start-up path, no synchronization context: blocking here is safe and keeps the resolver simple.
            return store.GetAsync(CredentialKey.Parse(key), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (CredentialException ex)
        {
            log.LogWarning("Could not read {Key} from the credential store ({Code}): {Message}", key, ex.Code, ex.Message);
            return null;
        }
    }
}
