using Carapace.Host.Credentials;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Tests.Credentials.Support;

internal static class StoreFactory
{
    public static CredentialStore Create(TempStateDirectory dir, ICredentialBackend backend, RecordingAuditLog audit,
        TimeProvider? time = null, CredentialOptions? options = null) =>
        new(new FixedCredentialBackendSource(backend),
            new CredentialIndex(dir.State, time ?? TimeProvider.System, NullLogger<CredentialIndex>.Instance),
            audit, options ?? new CredentialOptions(), NullLogger<CredentialStore>.Instance);
}
