using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Carapace.Host.Configuration;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Storage;
using Carapace.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Tests.Security;

public sealed class TlsTests
{
    private const string Token = "tls-token";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    private static HttpClient Trusting(GatewayFixture gateway, X509Certificate2 root) =>
        new(new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                    CustomTrustStore = { root },
                },
            },
        })
        { BaseAddress = gateway.BaseAddress };

    [Fact]
    public async Task Self_signed_certificate_is_generated_once_owner_only_and_reused_on_restart()
    {
        using var state = new TempDirectory();
        string thumbprint;
        await using (var gateway = await GatewayFixture.StartAsync("gateway:\n  tls:\n    selfSigned: true\n", TokenEnv(), stateDirOverride: state.Path))
        {
            Assert.Equal("https", gateway.BaseAddress.Scheme);
            var certPath = Path.Combine(state.Path, "tls", GatewayTls.CertificateFile);
            var keyPath = Path.Combine(state.Path, "tls", GatewayTls.KeyFile);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(keyPath)!));
            using var root = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certPath));
            thumbprint = root.Thumbprint;
            var names = root.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            Assert.Contains("localhost", names.EnumerateDnsNames());
            Assert.Contains(IPAddress.Loopback, names.EnumerateIPAddresses());
            Assert.Contains(IPAddress.IPv6Loopback, names.EnumerateIPAddresses());

            using var client = Trusting(gateway, root);
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            var response = await client.GetAsync("/control/status");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(SecurityHeaders.StrictTransportSecurity, response.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.True(gateway.LogContains("generated a self-signed certificate"));
        }

        await using (var again = await GatewayFixture.StartAsync("gateway:\n  tls:\n    selfSigned: true\n", TokenEnv(), stateDirOverride: state.Path))
        {
            using var root = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(state.Path, "tls", GatewayTls.CertificateFile)));
            Assert.Equal(thumbprint, root.Thumbprint);
            Assert.False(again.LogContains("generated a self-signed certificate"));
            using var client = Trusting(again, root);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        }
    }

    [Fact]
    public async Task An_untrusting_client_is_refused_and_plain_http_gets_no_answer()
    {
        await using var gateway = await GatewayFixture.StartAsync("gateway:\n  tls:\n    selfSigned: true\n", TokenEnv());
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };

        var tls = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/health"));
        Assert.Equal(HttpRequestError.SecureConnectionError, tls.HttpRequestError);

        using var plain = new HttpClient { BaseAddress = new UriBuilder(gateway.BaseAddress) { Scheme = "http" }.Uri };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync("/health"));
    }

    [Fact]
    public async Task Pem_certificate_and_key_from_the_configuration_are_served()
    {
        using var dir = new TempDirectory();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=carapace-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        var certPath = Path.Combine(dir.Path, "cert.pem");
        var keyPath = Path.Combine(dir.Path, "key.pem");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        await using var gateway = await GatewayFixture.StartAsync($"gateway:\n  tls:\n    certPath: {certPath}\n    keyPath: {keyPath}\n");
        using var client = Trusting(gateway, X509Certificate2.CreateFromPem(certificate.ExportCertificatePem()));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.True(gateway.LogContains("readable by other users") == OwnerOnlyWouldWarn(keyPath));
    }

    [Fact]
    public async Task A_missing_certificate_file_is_a_configuration_error_naming_the_key()
    {
        var ex = await Assert.ThrowsAsync<ConfigurationException>(() =>
            GatewayFixture.StartAsync("gateway:\n  tls:\n    certPath: /nonexistent/cert.pem\n    keyPath: /nonexistent/key.pem\n"));

        Assert.Contains("gateway.tls.certPath: file not found: /nonexistent/cert.pem", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unusable_pem_is_a_configuration_error()
    {
        using var dir = new TempDirectory();
        var certPath = Path.Combine(dir.Path, "cert.pem");
        var keyPath = Path.Combine(dir.Path, "key.pem");
        await File.WriteAllTextAsync(certPath, "not a certificate");
        await File.WriteAllTextAsync(keyPath, "not a key");

        var ex = await Assert.ThrowsAsync<ConfigurationException>(() =>
            GatewayFixture.StartAsync($"gateway:\n  tls:\n    certPath: {certPath}\n    keyPath: {keyPath}\n"));

        Assert.Contains("gateway.tls.certPath: cannot load the PEM certificate", ex.Message, StringComparison.Ordinal);
    }

    private static bool OwnerOnlyWouldWarn(string path) => Carapace.Storage.OwnerOnly.IsWiderThanOwner(path);

    [Fact]
    public void A_lan_certificate_names_this_machines_addresses_its_host_name_and_the_configured_names()
    {
        using var state = new TempDirectory();
        var tls = new TlsSettings(null, null, true, ["carapace.example", "203.0.113.9"]);

        using var certificate = GatewayTls.Load(tls, new StateDirectory(state.Path), IPAddress.Any, TimeProvider.System, NullLogger.Instance)!;

        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        var addresses = names.EnumerateIPAddresses().ToList();
        var dns = names.EnumerateDnsNames().ToList();
        Assert.Contains(IPAddress.Loopback, addresses);
        Assert.Contains("localhost", dns);
        Assert.Contains("carapace.example", dns);
        Assert.Contains(IPAddress.Parse("203.0.113.9"), addresses);
        Assert.Contains(System.Net.Dns.GetHostName(), dns, StringComparer.OrdinalIgnoreCase);
        // Every address a LAN client could reach this machine on (eth0 on the test machines; none without a network).
        var lan = NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address)
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal).ToList();
        Assert.All(lan, address => Assert.Contains(address, addresses));
    }

    [Fact]
    public void The_certificate_is_reused_while_it_names_everything_and_regenerated_when_a_name_is_added()
    {
        using var state = new TempDirectory();
        var directory = new StateDirectory(state.Path);
        var lan = new TlsSettings(null, null, true, ["carapace.example"]);

        using var first = GatewayTls.Load(lan, directory, IPAddress.Any, TimeProvider.System, NullLogger.Instance)!;
        using var again = GatewayTls.Load(lan, directory, IPAddress.Any, TimeProvider.System, NullLogger.Instance)!;
        using var loopbackOnly = GatewayTls.Load(new TlsSettings(null, null, true), directory, IPAddress.Loopback, TimeProvider.System, NullLogger.Instance)!;
        using var renamed = GatewayTls.Load(lan with { HostNames = ["carapace.example", "gw.example"] }, directory, IPAddress.Any, TimeProvider.System, NullLogger.Instance)!;

        Assert.Equal(first.Thumbprint, again.Thumbprint);
        Assert.Equal(first.Thumbprint, loopbackOnly.Thumbprint);
        Assert.NotEqual(first.Thumbprint, renamed.Thumbprint);
        Assert.Contains("gw.example", renamed.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
    }

    [Fact]
    public void Lan_names_leave_out_link_local_and_loopback_duplicates_and_a_specific_bind_names_only_itself()
    {
        IEnumerable<IPAddress> Interfaces() =>
            [IPAddress.Parse("192.0.2.44"), IPAddress.Parse("fe80::1"), IPAddress.Parse("fd00::5"), IPAddress.Loopback, IPAddress.Parse("::ffff:192.0.2.44")];

        var lan = SelfSignedNames.For(IPAddress.Any, ["10.1.2.3", "gw.example"], Interfaces, () => "box");
        var specific = SelfSignedNames.For(IPAddress.Parse("192.0.2.7"), [], Interfaces, () => "box");
        var badHost = SelfSignedNames.For(IPAddress.IPv6Any, [], Interfaces, () => "no such_name!");

        Assert.Equal(["localhost", "box", "gw.example"], lan.DnsNames);
        Assert.Equal(new[] { "127.0.0.1", "::1", "192.0.2.44", "fd00::5", "10.1.2.3" }, lan.Addresses.Select(a => a.ToString()));
        Assert.Equal(["localhost"], specific.DnsNames);
        Assert.Equal(new[] { "127.0.0.1", "::1", "192.0.2.7" }, specific.Addresses.Select(a => a.ToString()));
        Assert.Equal(["localhost"], badHost.DnsNames);
    }
}
