using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Host.Configuration;
using Carapace.Storage;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Security;

/// <summary>
/// The gateway's TLS certificate: a PEM certificate and unencrypted PEM key named by
/// <c>gateway.tls.certPath</c>/<c>keyPath</c>, or, with <c>gateway.tls.selfSigned: true</c>, an ECDSA P-256
/// certificate for the names of <see cref="SelfSignedNames"/> (localhost, 127.0.0.1, ::1, the bind address or,
/// with <c>bind: lan</c>, this machine's addresses and host name, and <c>gateway.tls.hostNames</c>) generated
/// once into <c>&lt;state&gt;/tls/</c> (key 0600) and reused on every start until it is within 30 days of expiry
/// or no longer names them all (an interface address changed). Clients verify it with
/// <c>cara --ca &lt;state&gt;/tls/gateway.crt</c>.
/// </summary>
internal static class GatewayTls
{
    public const string CertificateFile = "gateway.crt";
    public const string KeyFile = "gateway.key";
    private static readonly TimeSpan Validity = TimeSpan.FromDays(365);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    /// <exception cref="ConfigurationException">The configured files cannot be used.</exception>
    public static X509Certificate2? Load(TlsSettings settings, StateDirectory state, IPAddress bindAddress, TimeProvider time, ILogger log)
    {
        if (!settings.Enabled)
        {
            return null;
        }

        return settings.SelfSigned
            ? LoadOrCreateSelfSigned(Path.Combine(state.Root, "tls"), SelfSignedNames.For(bindAddress, settings.HostNames), time, log)
            : LoadPem(settings.CertPath!, settings.KeyPath!, log);
    }

    public static string SelfSignedCertificatePath(StateDirectory state) => Path.Combine(state.Root, "tls", CertificateFile);

    private static X509Certificate2 LoadPem(string certPath, string keyPath, ILogger log)
    {
        foreach (var (key, path) in new[] { ("gateway.tls.certPath", certPath), ("gateway.tls.keyPath", keyPath) })
        {
            if (!File.Exists(path))
            {
                throw new ConfigurationException(new ConfigError(key, $"file not found: {path}"));
            }
        }

        if (OwnerOnly.IsWiderThanOwner(keyPath))
        {
            log.LogWarning("TLS private key {KeyPath} is readable by other users; chmod 600 it", keyPath);
        }

        try
        {
            return X509Certificate2.CreateFromPemFile(certPath, keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException(new ConfigError("gateway.tls.certPath",
                $"cannot load the PEM certificate {certPath} with key {keyPath} (the key must be unencrypted PKCS#8, RSA or EC): {ex.Message}"));
        }
    }

    private static X509Certificate2 LoadOrCreateSelfSigned(string directory, SelfSignedNames required, TimeProvider time, ILogger log)
    {
        OwnerOnly.EnsureDirectory(directory);
        var certPath = Path.Combine(directory, CertificateFile);
        var keyPath = Path.Combine(directory, KeyFile);
        var now = time.GetUtcNow();
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            try
            {
                var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
                if (existing.NotAfter.ToUniversalTime() - now.UtcDateTime > RenewBefore && Covers(existing, required))
                {
                    OwnerOnly.TightenFile(keyPath);
                    log.LogInformation("TLS: self-signed certificate {CertPath} (SHA-256 {Thumbprint}), valid until {NotAfter:yyyy-MM-dd}",
                        certPath, existing.GetCertHashString(HashAlgorithmName.SHA256), existing.NotAfter.ToUniversalTime());
                    return existing;
                }

                existing.Dispose();
                log.LogInformation("TLS: the self-signed certificate expires soon or does not name all of {Names}; generating a new one", Describe(required));
            }
            catch (CryptographicException ex)
            {
                log.LogWarning("TLS: cannot read the self-signed certificate in {Directory} ({Error}); generating a new one", directory, ex.Message);
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Carapace gateway (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in required.DnsNames)
        {
            names.AddDnsName(dns);
        }

        foreach (var address in required.Addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var created = request.CreateSelfSigned(now.AddDays(-1), now + Validity);

        AtomicFile.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        AtomicFile.WriteAllText(certPath, created.ExportCertificatePem());
        log.LogInformation("TLS: generated a self-signed certificate {CertPath} for {Names} (SHA-256 {Thumbprint}); clients verify it with --ca {CertPath}",
            certPath, Describe(required), created.GetCertHashString(HashAlgorithmName.SHA256), certPath);
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }

    private static bool Covers(X509Certificate2 certificate, SelfSignedNames required)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        return names is not null && required.AreCoveredBy(names.EnumerateDnsNames(), names.EnumerateIPAddresses());
    }

    private static string Describe(SelfSignedNames names) =>
        string.Join(", ", names.DnsNames.Concat(names.Addresses.Select(a => a.ToString())));
}
