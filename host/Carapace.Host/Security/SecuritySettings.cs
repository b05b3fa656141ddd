using System.Globalization;
using System.Net;
using Carapace.Host.Configuration;

namespace Carapace.Host.Security;

/// <summary><c>gateway.rateLimit.*</c>: per-client token buckets (upstream defaults).</summary>
internal sealed record RateLimitSettings(
    bool Enabled, bool ExemptLoopback, int RequestsPerSecond, int Burst, int InvokeRequestsPerSecond, int InvokeBurst)
{
    public static RateLimitSettings Default { get; } = new(true, true, 100, 200, 50, 100);
}

/// <summary><c>gateway.authThrottle.*</c>: failed credentials per client before a lockout, and how long it lasts.</summary>
internal sealed record AuthThrottleSettings(int MaxFailures, TimeSpan Window, TimeSpan Lockout, TimeSpan MaxLockout)
{
    public static AuthThrottleSettings Default { get; } =
        new(10, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(3600));
}

/// <summary><c>gateway.limits.*</c>: request size, header and connection limits, and Kestrel timeouts.</summary>
internal sealed record RequestLimitSettings(
    long MaxBodyBytes,
    int MaxHeaderCount,
    int MaxHeaderBytes,
    TimeSpan RequestHeadersTimeout,
    TimeSpan KeepAliveTimeout,
    int MaxConnections,
    int MaxConnectionsPerIp)
{
    public const long DefaultMaxBodyBytes = 256 * 1024;

    public static RequestLimitSettings Default { get; } = new(
        DefaultMaxBodyBytes, 100, 32 * 1024, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(120), 1024, 64);
}

/// <summary>
/// <c>gateway.tls.*</c>: a PEM certificate and key, or a self-signed certificate kept in the state dir, which
/// also names <see cref="HostNames"/> (<c>gateway.tls.hostNames</c>).
/// </summary>
internal sealed record TlsSettings(string? CertPath, string? KeyPath, bool SelfSigned, IReadOnlyList<string> HostNames)
{
    public TlsSettings(string? certPath, string? keyPath, bool selfSigned) : this(certPath, keyPath, selfSigned, []) { }

    public static TlsSettings Off { get; } = new(null, null, false);

    public bool Enabled => SelfSigned || CertPath is not null;
}

/// <summary>Everything the hardening layer reads from <c>gateway.*</c>.</summary>
internal sealed record SecuritySettings(
    RateLimitSettings RateLimit,
    AuthThrottleSettings AuthThrottle,
    RequestLimitSettings Limits,
    TlsSettings Tls,
    TrustedProxies TrustedProxies,
    IReadOnlyList<string> CsrfAllowedOrigins)
{
    public static SecuritySettings Default { get; } = new(
        RateLimitSettings.Default, AuthThrottleSettings.Default, RequestLimitSettings.Default, TlsSettings.Off,
        TrustedProxies.None, []);

    /// <summary>Reads and validates the keys; problems are collected in <paramref name="reader"/> with file, line and column.</summary>
    public static SecuritySettings Read(SettingsReader reader)
    {
        var rate = new RateLimitSettings(
            reader.Bool("gateway:rateLimit:enabled", true),
            reader.Bool("gateway:rateLimit:exemptLoopback", true),
            reader.Int("gateway:rateLimit:requestsPerSecond", 100, 1, 1_000_000),
            reader.Int("gateway:rateLimit:burst", 200, 1, 1_000_000),
            reader.Int("gateway:rateLimit:invokeRequestsPerSecond", 50, 1, 1_000_000),
            reader.Int("gateway:rateLimit:invokeBurst", 100, 1, 1_000_000));

        var throttle = new AuthThrottleSettings(
            reader.Int("gateway:authThrottle:maxFailures", 10, 1, 10_000),
            TimeSpan.FromSeconds(reader.Int("gateway:authThrottle:windowSeconds", 60, 1, 86_400)),
            TimeSpan.FromSeconds(reader.Int("gateway:authThrottle:lockoutSeconds", 300, 1, 86_400)),
            TimeSpan.FromSeconds(reader.Int("gateway:authThrottle:maxLockoutSeconds", 3600, 1, 7 * 86_400)));
        if (throttle.MaxLockout < throttle.Lockout)
        {
            reader.Fail("gateway:authThrottle:maxLockoutSeconds", "must be at least gateway.authThrottle.lockoutSeconds");
        }

        var limits = new RequestLimitSettings(
            reader.Int("gateway:limits:maxBodyBytes", (int)RequestLimitSettings.DefaultMaxBodyBytes, 1024, 1024 * 1024 * 1024),
            reader.Int("gateway:limits:maxHeaderCount", 100, 10, 1000),
            reader.Int("gateway:limits:maxHeaderBytes", 32 * 1024, 1024, 1024 * 1024),
            TimeSpan.FromSeconds(reader.Int("gateway:limits:requestHeadersTimeoutSeconds", 30, 1, 600)),
            TimeSpan.FromSeconds(reader.Int("gateway:limits:keepAliveTimeoutSeconds", 120, 1, 3600)),
            reader.Int("gateway:limits:maxConnections", 1024, 1, 1_000_000),
            reader.Int("gateway:limits:maxConnectionsPerIp", 64, 1, 1_000_000));

        return new SecuritySettings(rate, throttle, limits, ReadTls(reader), ReadProxies(reader),
            ReadOrigins(reader));
    }

    private static TlsSettings ReadTls(SettingsReader reader)
    {
        var cert = Blank(reader.String("gateway:tls:certPath"));
        var key = Blank(reader.String("gateway:tls:keyPath"));
        var selfSigned = reader.Bool("gateway:tls:selfSigned", false);
        if (cert is not null && key is null)
        {
            reader.Fail("gateway:tls:certPath", "needs gateway.tls.keyPath (the PEM private key) as well");
        }
        else if (key is not null && cert is null)
        {
            reader.Fail("gateway:tls:keyPath", "needs gateway.tls.certPath (the PEM certificate) as well");
        }
        else if (cert is not null && selfSigned)
        {
            reader.Fail("gateway:tls:selfSigned", "cannot be combined with gateway.tls.certPath; choose one");
        }

        var hostNames = new List<string>();
        var entries = reader.List("gateway:tls:hostNames");
        for (var i = 0; i < entries.Count; i++)
        {
            var name = entries[i].Trim();
            if (IPAddress.TryParse(name, out _) || Uri.CheckHostName(name) == UriHostNameType.Dns)
            {
                hostNames.Add(name);
            }
            else
            {
                reader.Fail(string.Create(CultureInfo.InvariantCulture, $"gateway:tls:hostNames:{i}"),
                    $"must be a DNS name or an IP address such as carapace.lan or 192.168.1.20 (got '{entries[i]}')");
            }
        }

        if (hostNames.Count > 0 && !selfSigned)
        {
            reader.Fail("gateway:tls:hostNames", "names the self-signed certificate; set gateway.tls.selfSigned: true (a PEM certificate carries its own names)");
        }

        return cert is not null && key is not null ? new TlsSettings(cert, key, false)
            : selfSigned ? new TlsSettings(null, null, true, hostNames)
            : TlsSettings.Off;
    }

    private static TrustedProxies ReadProxies(SettingsReader reader)
    {
        var networks = new List<IPNetwork>();
        var entries = reader.List("gateway:trustedProxies");
        for (var i = 0; i < entries.Count; i++)
        {
            if (TrustedProxies.TryParseEntry(entries[i], out var network))
            {
                networks.Add(network);
            }
            else
            {
                reader.Fail(string.Create(CultureInfo.InvariantCulture, $"gateway:trustedProxies:{i}"),
                    $"must be an IP address or a CIDR range such as 10.0.0.0/8 (got '{entries[i]}')");
            }
        }

        return networks.Count == 0 ? TrustedProxies.None : new TrustedProxies(networks);
    }

    private static List<string> ReadOrigins(SettingsReader reader)
    {
        var origins = new List<string>();
        var entries = reader.List("gateway:csrf:allowedOrigins");
        for (var i = 0; i < entries.Count; i++)
        {
            if (CsrfProtection.TryNormalizeOrigin(entries[i], out var origin))
            {
                origins.Add(origin);
            }
            else
            {
                reader.Fail(string.Create(CultureInfo.InvariantCulture, $"gateway:csrf:allowedOrigins:{i}"),
                    $"must be an origin such as https://carapace.example:8443 (got '{entries[i]}')");
            }
        }

        return origins;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
