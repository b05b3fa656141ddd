using System.Globalization;
using System.Net;
using Carapace.Host.Auth;
using Carapace.Host.Configuration;
using Carapace.Host.Gateway;
using Carapace.Host.Security;
using Carapace.Storage;

namespace Carapace.Cli.Client;

/// <summary>What the TLS flags asked for: <c>--tls</c>, <c>--ca FILE</c>, <c>--insecure</c>.</summary>
internal sealed record TlsChoice(bool Tls, string? CaPath, bool Insecure)
{
    public static TlsChoice None { get; } = new(false, null, false);
}

/// <summary>
/// Which gateway to talk to and with which credential. Port: flag (or URL), then <c>gateway.port</c>, then 18789.
/// Credential: <c>--token</c>, then the gateway's env vars, then <c>gateway.auth.*</c> in the configuration.
/// HTTPS when asked (<c>--tls</c>, an https URL, <c>--ca</c>, <c>--insecure</c>) or when the configuration enables
/// <c>gateway.tls</c>; a self-signed gateway's certificate in the state dir is then trusted by default.
/// </summary>
internal sealed record GatewayTarget(string Host, int Port, string? Credential, bool AllowPlaintext)
{
    public bool UseTls { get; init; }

    /// <summary>Certificate to trust as the root for the gateway's chain, or null for the system store.</summary>
    public string? CaPath { get; init; }

    public bool Insecure { get; init; }

    public Uri BaseAddress => new(string.Create(CultureInfo.InvariantCulture,
        $"{(UseTls ? "https" : "http")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/"));

    public string Display => $"{Host}:{Port}";

    public bool IsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// The CLI never sends a credential in cleartext across a network unless told to: on a shared
    /// network anyone on the path could replay it. TLS (verified, or --insecure with its warning) is not cleartext.
    /// </summary>
    public bool MaySendCredential => IsLoopback || UseTls || AllowPlaintext;

    public static GatewayTarget Resolve(string host, int? port, string? token, bool allowPlaintext, string? configPath,
        Func<string, string?> getEnv, TlsChoice? tls = null)
    {
        tls ??= TlsChoice.None;
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

        var (hostName, urlScheme, urlPort) = ParseHost(host);
        var configTls = settings?.Security.Tls ?? TlsSettings.Off;
        var useTls = urlScheme switch
        {
            "https" => true,
            "http" when tls.Tls || tls.CaPath is not null || tls.Insecure =>
                throw new CliException("--tls, --ca and --insecure need https; the URL says http", CliExit.ConfigError),
            "http" => false,
            _ => tls.Tls || tls.CaPath is not null || tls.Insecure || configTls.Enabled,
        };

        var caPath = tls.CaPath;
        if (caPath is not null && !File.Exists(caPath))
        {
            throw new CliException($"--ca: file not found: {caPath}", CliExit.ConfigError);
        }

        if (useTls && caPath is null && !tls.Insecure && configTls.SelfSigned)
        {
            var stateCert = GatewayTls.SelfSignedCertificatePath(StateDirectory.Resolve(getEnv));
            caPath = File.Exists(stateCert) ? stateCert : null;
        }

        return new GatewayTarget(hostName, port ?? urlPort ?? settings?.Port ?? GatewaySettings.DefaultPort, credential, allowPlaintext)
        {
            UseTls = useTls,
            CaPath = caPath,
            Insecure = useTls && tls.Insecure,
        };
    }

    private static (string Host, string? Scheme, int? Port) ParseHost(string host)
    {
        if (!host.Contains("://", StringComparison.Ordinal))
        {
            return (host, null, null);
        }

        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath is not ("/" or ""))
        {
            throw new CliException($"--host: expected a host name, an IP address or http(s)://HOST[:PORT] (got '{host}')", CliExit.ConfigError);
        }

        return (uri.Host.Trim('[', ']'), uri.Scheme, uri.IsDefaultPort && !host.Contains($":{uri.Port}", StringComparison.Ordinal) ? null : uri.Port);
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
