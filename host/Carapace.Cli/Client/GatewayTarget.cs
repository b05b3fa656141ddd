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
        // Flags first: a bad --host or --port is a usage error before any file or store is opened.
        var (hostName, urlScheme, urlPort) = ParseHost(host);
        if ((port ?? urlPort) is { } explicitPort)
        {
            CheckPort(explicitPort);
        }

        // A configuration that does not load, or whose gateway section is invalid, stops the command
        // (exit 2, the errors listed as by `cara config validate`). Falling back to the defaults would
        // send the credential to whatever listens on 127.0.0.1:18789 instead of the configured gateway.
        var config = CarapaceConfigLoader.Load(ConfigLocator.Locate(configPath, getEnv), getEnv);
        var reader = new SettingsReader(config);
        var settings = GatewaySettingsReader.Read(reader);
        if (reader.Errors.Count > 0)
        {
            throw new ConfigurationException(reader.Errors);
        }

        var credential = !string.IsNullOrWhiteSpace(token) ? token.Trim() : ResolveCredential(settings, configPath, getEnv);
        var configTls = settings.Security.Tls;
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

        return new GatewayTarget(hostName, ResolvePort(port, urlPort, settings), credential, allowPlaintext)
        {
            UseTls = useTls,
            CaPath = caPath,
            Insecure = useTls && tls.Insecure,
        };
    }

    private static int ResolvePort(int? flag, int? fromUrl, GatewaySettings settings)
    {
        if ((flag ?? fromUrl) is { } explicitPort)
        {
            return CheckPort(explicitPort);
        }

        return settings.Port switch
        {
            0 => throw new CliException(
                "the configuration sets gateway.port: 0 (the gateway picks a free port at start); pass the port it logged with --port",
                CliExit.UsageError),
            var configured => configured,
        };
    }

    private static int CheckPort(int port) => port is >= 1 and <= 65535 ? port
        : throw new CliException($"--port: must be between 1 and 65535 (got {port})", CliExit.UsageError);

    private static (string Host, string? Scheme, int? Port) ParseHost(string host)
    {
        if (!host.Contains("://", StringComparison.Ordinal))
        {
            // A bare name or address; IPv6 may come bracketed ("[::1]") or not.
            var bare = host.Trim();
            var unbracketed = bare.StartsWith('[') && bare.EndsWith(']') ? bare[1..^1] : bare;
            return Uri.CheckHostName(unbracketed) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
                ? (unbracketed, null, null)
                : throw new CliException(
                    $"--host: expected a host name, an IP address or http(s)://HOST[:PORT] (got '{Output.Terminal.Safe(host)}')", CliExit.UsageError);
        }

        if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath is not ("/" or ""))
        {
            throw new CliException(
                $"--host: expected a host name, an IP address or http(s)://HOST[:PORT] (got '{Output.Terminal.Safe(host)}')", CliExit.UsageError);
        }

        return (uri.Host.Trim('[', ']'), uri.Scheme, uri.IsDefaultPort && !host.Contains($":{uri.Port}", StringComparison.Ordinal) ? null : uri.Port);
    }

    /// <summary>
    /// The secret the gateway will expect, by the gateway's own rules (<see cref="GatewayCredentialResolver"/>):
    /// environment, then configuration, then the credential store, and a password wins over a token. A
    /// gateway in mode <c>none</c> ignores the header, so whatever is configured is sent as for token mode.
    /// </summary>
    private static string? ResolveCredential(GatewaySettings? settings, string? configPath, Func<string, string?> getEnv)
    {
        using var store = new LazyStore(configPath, getEnv);
        var mode = settings?.AuthMode == GatewayAuthMode.None ? null : settings?.AuthMode;
        return GatewayCredentialResolver.ResolveSecret(mode, settings?.ConfigToken, settings?.ConfigPassword, getEnv, store.Read, warn: null).Secret;
    }

    /// <summary>The local credential store, opened on the first lookup only (opening it may probe D-Bus).</summary>
    private sealed class LazyStore(string? configPath, Func<string, string?> getEnv) : IDisposable
    {
        private LocalServices? _services;
        private bool _failed;

        public string? Read(string key)
        {
            if (_failed)
            {
                return null;
            }

            try
            {
                _services ??= LocalServices.Open(configPath, getEnv);
                var store = _services.Get<Carapace.Host.Credentials.ICredentialStore>();
                return store.GetAsync(Carapace.Host.Credentials.CredentialKey.Parse(key), CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is Carapace.Abstractions.Credentials.CredentialException or ConfigurationException)
            {
                _failed = true;
                Console.Error.WriteLine($"warning: could not read the gateway secret from the credential store: {ex.Message}");
                return null;
            }
        }

        // Some store backends are async-disposable only; this runs once per CLI invocation.
        public void Dispose() => _services?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

}
