using Carapace.Abstractions.Credentials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Credentials;

/// <summary>
/// Runs at gateway start: the state-directory check (plaintext credentials, permissions) — a refusing
/// finding stops the host with a message naming each file and its fix — then selects the credential
/// backend so its choice (and a locked keyring) is logged at start rather than on first use.
/// </summary>
internal sealed class CredentialsStartupCheck(PlaintextCredentialScanner scanner, ICredentialStore store,
    ILogger<CredentialsStartupCheck> logger) : IHostedService
{
    public const string RefusalCode = "plaintext_credentials_found";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var report = scanner.Scan();
        if (report.RefusesStart)
        {
            throw new CredentialException(RefusalCode, report.Describe(),
                "fix each file listed above, then start again");
        }

        var status = await store.GetStatusAsync(cancellationToken);
        logger.LogInformation("credentials: backend {Backend}, writable {Writable}", status.Backend, status.Writable);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
