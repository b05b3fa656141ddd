using System.Net;
using Carapace.Host.Auth;
using Carapace.Host.Configuration;
using Carapace.Host.Gateway;

namespace Carapace.Cli.Client;

/// <summary>
/// Which gateway to talk to and with which credential. Port: flag, then <c>gateway.port</c>, then 18789.
/// Credential: <c>--token</c>, then the gateway's env vars, then <c>gateway.auth.*</c> in the configuration.
/// </summary>
internal sealed record GatewayTarget(string Host, int Port, string? Credential, bool AllowPlaintext)
{
    public Uri BaseAddress => new($"http://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/");

    public string Display => $"{Host}:{Port}";

    public bool IsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// The CLI never sends a credential in cleartext across a network unless told to: on a shared
    /// network anyone on the path could replay it.
    /// </summary>
    public bool MaySendCredential => IsLoopback || AllowPlaintext;

    public static GatewayTarget Resolve(string host, int? port, string? token, bool allowPlaintext, string? configPath,
        Func<string, string?> getEnv)
    {
        GatewaySettings? settings = null;
        try
        {
            var config = CarapaceConfigLoader.Load(ConfigLocator.Locate(configPath, getEnv), getEnv);
            var reader = new SettingsReader(config);
            settings = GatewaySettingsReader.Read(reader);
            if (reader.Errors.Count > 0)
            {
                settings = null;
            }
        }
        catch (ConfigurationException ex) when (configPath is null)
        {
            Console.Error.WriteLine($"warning: ignoring the configuration ({ex.Errors[0]}); using defaults");
        }
        catch (ConfigurationException ex)
        {
            throw new CliException($"configuration error: {ex.Message}", CliExit.ConfigError);
        }

        var credential = !string.IsNullOrWhiteSpace(token) ? token.Trim()
            : NonBlank(getEnv(GatewayCredentialResolver.TokenVariable))
              ?? NonBlank(getEnv(GatewayCredentialResolver.PasswordVariable))
              ?? settings?.ConfigToken
              ?? settings?.ConfigPassword
              ?? FromStore(configPath, getEnv);

        return new GatewayTarget(host, port ?? settings?.Port ?? GatewaySettings.DefaultPort, credential, allowPlaintext);
    }

    // Last resort, as upstream: the secret `cara credentials set gateway:token:default` stored.
    private static string? FromStore(string? configPath, Func<string, string?> getEnv)
    {
        LocalServices? services = null;
        try
        {
            services = LocalServices.Open(configPath, getEnv);
            var store = services.Get<Carapace.Host.Credentials.ICredentialStore>();
            foreach (var key in new[] { "gateway:token:default", "gateway:password:default" })
            {
                var value = store.GetAsync(Carapace.Host.Credentials.CredentialKey.Parse(key), CancellationToken.None).GetAwaiter().GetResult();
                if (!string.IsNullOrEmpty(value))
                {
                    return value;
                }
            }
        }
        catch (Exception ex) when (ex is Carapace.Abstractions.Credentials.CredentialException or ConfigurationException)
        {
            Console.Error.WriteLine($"warning: could not read the gateway secret from the credential store: {ex.Message}");
        }
        finally
        {
            // Some store backends are async-disposable only; this runs once per CLI invocation.
            services?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return null;
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
