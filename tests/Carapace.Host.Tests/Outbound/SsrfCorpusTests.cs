using System.Net;
using Carapace.Abstractions.Http;
using Carapace.Host.Outbound;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// The SSRF corpus: URLs and resolver answers run through the real guarded handler. "Allowed" rows
/// must reach the connector with exactly the validated address (the connector then stands in for the
/// internet by forwarding to a local server); refused rows must fail with the stated code before any
/// connection is made, and their error must not echo the query.
/// </summary>
public sealed class SsrfCorpusTests
{
    private const string Secret = "SECRETQUERYVALUE";
    private const string Ok = "ok";

    // Resolver answers shared by every row (the name rows below refer to them).
    private static readonly FakeResolver Dns = new FakeResolver()
        .Map("public.example", "93.184.215.14")
        .Map("v6.example", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
        .Map("many.example", "1.1.1.1", "8.8.8.8", "9.9.9.9")
        .Map("mapped-public.example", "::ffff:93.184.215.14")
        .Map("mixed.example", "93.184.215.14", "10.0.0.1")
        .Map("mixed-first-private.example", "127.0.0.1", "93.184.215.14")
        .Map("mixed6.example", "2606:4700::1", "::1")
        .Map("mixed-linklocal.example", "8.8.8.8", "169.254.169.254")
        .Map("mapped.example", "::ffff:10.0.0.1")
        .Map("nat64.example", "64:ff9b::a9fe:a9fe")
        .Map("metadata-ip.example", "169.254.169.254")
        .Map("cgnat.example", "100.100.100.100")
        .Map("bench.example", "198.18.0.1")
        .Map("ula.example", "fd00:ec2::254")
        .Map("teredo.example", "2001:0:4136:e378:8000:63bf:80ff:fffe")
        .Map("sixtofour.example", "2002:a9fe:a9fe::1")
        .Map("linklocal6.example", "fe80::1")
        .Map("zero.example", "0.0.0.0")
        .Map("broadcast.example", "255.255.255.255")
        .Map("compat.example", "::7f00:1")
        .Map("empty.example")
        // Names an /etc/hosts or split-horizon DNS could point anywhere: refused before resolution.
        .Map("localhost", "93.184.215.14")
        .Map("metadata.google.internal", "93.184.215.14");

    public static TheoryData<string, string?, string?> Corpus()
    {
        // url, expected code (null = allowed), expected connect address for allowed rows
        var rows = new TheoryData<string, string?, string?>();
        void Allow(string url, string connectTo) => rows.Add(url, null, connectTo);
        void Block(string url, string code = OutboundErrorCodes.SsrfBlocked) => rows.Add(url, code, null);

        // IPv4 ranges at their edges and just outside.
        Block("http://0.0.0.0/"); Block("http://0.255.255.255/"); Allow("http://1.0.0.0/", "1.0.0.0");
        Allow("http://9.255.255.255/", "9.255.255.255"); Block("http://10.0.0.0/"); Block("http://10.255.255.255/");
        Allow("http://11.0.0.0/", "11.0.0.0"); Allow("http://100.63.255.255/", "100.63.255.255");
        Block("http://100.64.0.0/"); Block("http://100.127.255.255/"); Allow("http://100.128.0.0/", "100.128.0.0");
        Allow("http://126.255.255.255/", "126.255.255.255"); Block("http://127.0.0.0/"); Block("http://127.255.255.255/");
        Allow("http://128.0.0.0/", "128.0.0.0"); Allow("http://169.253.255.255/", "169.253.255.255");
        Block("http://169.254.0.0/"); Block("http://169.254.169.254/"); Block("http://169.254.255.255/");
        Allow("http://169.255.0.0/", "169.255.0.0"); Allow("http://172.15.255.255/", "172.15.255.255");
        Block("http://172.16.0.0/"); Block("http://172.31.255.255/"); Allow("http://172.32.0.0/", "172.32.0.0");
        Allow("http://191.255.255.255/", "191.255.255.255"); Block("http://192.0.0.0/"); Block("http://192.0.0.255/");
        Allow("http://192.0.1.0/", "192.0.1.0"); Block("http://192.0.2.0/"); Block("http://192.0.2.255/");
        Allow("http://192.0.3.0/", "192.0.3.0"); Block("http://192.88.99.1/"); Allow("http://192.167.255.255/", "192.167.255.255");
        Block("http://192.168.0.0/"); Block("http://192.168.255.255/"); Allow("http://192.169.0.0/", "192.169.0.0");
        Allow("http://198.17.255.255/", "198.17.255.255"); Block("http://198.18.0.0/"); Block("http://198.19.255.255/");
        Allow("http://198.20.0.0/", "198.20.0.0"); Allow("http://198.51.99.255/", "198.51.99.255");
        Block("http://198.51.100.0/"); Block("http://198.51.100.255/"); Allow("http://198.51.101.0/", "198.51.101.0");
        Allow("http://203.0.112.255/", "203.0.112.255"); Block("http://203.0.113.0/"); Block("http://203.0.113.255/");
        Allow("http://203.0.114.0/", "203.0.114.0"); Allow("http://223.255.255.255/", "223.255.255.255");
        Block("http://224.0.0.0/"); Block("http://239.255.255.255/"); Block("http://240.0.0.0/");
        Block("http://255.255.255.254/"); Block("http://255.255.255.255/");

        // Every IPv4 literal notation Uri accepts (see UrlNotationTests for what Uri does with each).
        Block("http://2130706433/"); Block("http://0x7f000001/"); Block("http://017700000001/");
        Block("http://0177.0.0.1/"); Block("http://0x7f.0.0.1/"); Block("http://127.1/"); Block("http://127.0.1/");
        Block("http://0/"); Block("http://127.000.000.001/"); Block("http://0x7F.0X0.0.01/"); Block("http://4294967295/");
        Block("http://127.0.0.1./"); Block("http://3232235777/");
        Block("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", OutboundErrorCodes.InvalidUrl); // fullwidth digits
        Block("http://0xa9fea9fe/"); Block("http://0251.0376.0251.0376/");
        Allow("http://134744072/", "8.8.8.8"); Allow("http://0x08080808/", "8.8.8.8"); Allow("http://8.8.8.8:80/", "8.8.8.8");

        // IPv6 literals, including every IPv4-embedding form.
        Block("http://[::1]/"); Block("http://[::]/"); Block("http://[0:0:0:0:0:0:0:1]/");
        Block("http://[::ffff:127.0.0.1]/"); Block("http://[::ffff:7f00:1]/"); Block("http://[::ffff:169.254.169.254]/");
        Allow("http://[::ffff:8.8.8.8]/", "8.8.8.8");
        Block("http://[::127.0.0.1]/"); Block("http://[::10.0.0.1]/"); Allow("http://[::8.8.8.8]/", "::8.8.8.8");
        Block("http://[64:ff9b::127.0.0.1]/"); Block("http://[64:ff9b::a9fe:a9fe]/"); Allow("http://[64:ff9b::8.8.8.8]/", "64:ff9b::808:808");
        Block("http://[64:ff9b:1::10.0.0.1]/"); Allow("http://[64:ff9b:1::8.8.8.8]/", "64:ff9b:1::808:808");
        Block("http://[64:ff9b:1:1::8.8.8.8]/");
        Block("http://[2002:7f00:1::]/"); Block("http://[2002:c0a8:101::1]/"); Allow("http://[2002:808:808::1]/", "2002:808:808::1");
        Block("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/");
        Allow("http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/", "2001:0:4136:e378:8000:63bf:f7f7:f7f7");
        Block("http://[2001:0:a00:1::f7f7:f7f7]/");
        Block("http://[fe80::1%25eth0]/"); Block("http://[fe80::1]/"); Block("http://[febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/");
        Block("http://[fc00::1]/"); Block("http://[fdff:ffff::1]/"); Block("http://[fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/");
        Block("http://[ff02::1]/"); Block("http://[2001:db8::1]/"); Allow("http://[2001:db9::1]/", "2001:db9::1");
        Allow("http://[2001:db7:ffff:ffff:ffff:ffff:ffff:ffff]/", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
        Allow("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"); Allow("http://[2001:4860:4860::8888]/", "2001:4860:4860::8888");
        Block("http://[100::1]/"); Block("http://[3fff::1]/"); Allow("http://[3fff:1000::1]/", "3fff:1000::1");
        Block("http://[2001:2::1]/"); Block("http://[1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/"); Allow("http://[2000::1]/", "2000::1");
        Block("http://[4000::1]/");

        // Edges of the ranges the issue names, and just outside them.
        Allow("http://192.88.98.255/", "192.88.98.255"); Block("http://192.88.99.0/"); Block("http://192.88.99.255/");
        Allow("http://192.88.100.0/", "192.88.100.0");
        Block("http://[ff00::]/"); Block("http://[ff0e::1]/"); Block("http://[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/");
        Block("http://[2002::]/"); Block("http://[2002:ffff:ffff::]/"); Allow("http://[2003::1]/", "2003::1");
        Allow("http://[2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/", "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        Block("http://[100::]/"); Block("http://[100::ffff:ffff:ffff:ffff]/"); Block("http://[100:0:0:1::]/");
        Block("http://[2001:2::]/"); Block("http://[2001:2:0:ffff:ffff:ffff:ffff:ffff]/"); Block("http://[2001:2:1::]/");
        Allow("http://[2001:200::1]/", "2001:200::1");
        Block("http://[5f00::]/"); Block("http://[5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/");

        // Zone ids: stripped, then the address is judged; a zone never makes a private address public.
        Block("http://[::1%25lo]/"); Block("http://[fe80::1%25eth0]:8080/"); Block("http://[fd00::1%251]/");
        Allow("http://[2606:4700::1%25eth0]/", "2606:4700::1");

        // Names refused before any lookup.
        Block("http://localhost/"); Block("http://LOCALHOST./"); Block("http://foo.localhost/"); Block("http://localhost.localdomain/");
        Block("http://metadata/"); Block("http://metadata.google.internal/"); Block("http://Metadata.Google.Internal./");
        Block("http://instance-data/"); Block("http://anything.internal/");
        Block("http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/", OutboundErrorCodes.InvalidUrl); // circled "localhost"
        Block("http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/", OutboundErrorCodes.InvalidUrl); // fullwidth "localhost"

        // Resolver answers: every answer must be public.
        Allow("http://public.example/", "93.184.215.14"); Allow("http://v6.example/", "2606:2800:21f:cb07:6820:80da:af6b:8b2c");
        Allow("http://many.example/", "1.1.1.1"); Allow("http://mapped-public.example/", "93.184.215.14");
        Allow("http://PUBLIC.example./", "93.184.215.14");
        Block("http://mixed.example/"); Block("http://mixed-first-private.example/"); Block("http://mixed6.example/");
        Block("http://mixed-linklocal.example/"); Block("http://mapped.example/"); Block("http://nat64.example/");
        Block("http://metadata-ip.example/"); Block("http://cgnat.example/"); Block("http://bench.example/");
        Block("http://ula.example/"); Block("http://teredo.example/"); Block("http://sixtofour.example/");
        Block("http://linklocal6.example/"); Block("http://zero.example/"); Block("http://broadcast.example/");
        Block("http://compat.example/");
        Block("http://nxdomain.example/", OutboundErrorCodes.ResolveFailed); Block("http://empty.example/", OutboundErrorCodes.ResolveFailed);

        // URL rules.
        Block("ftp://public.example/", OutboundErrorCodes.InvalidUrl); Block("file:///etc/passwd", OutboundErrorCodes.InvalidUrl);
        Block("gopher://public.example/", OutboundErrorCodes.InvalidUrl);
        Block("http://user:pw@public.example/", OutboundErrorCodes.InvalidUrl);
        Block("http://127.0.0.1:80@public.example/", OutboundErrorCodes.InvalidUrl);
        Block("http://@public.example/", OutboundErrorCodes.InvalidUrl);
        Block("http://public.example/" + new string('a', 2048), OutboundErrorCodes.InvalidUrl);
        Block("not a url", OutboundErrorCodes.InvalidUrl); Block("/relative/path", OutboundErrorCodes.InvalidUrl);
        return rows;
    }

    [Theory]
    [InlineData(2048, null)]
    [InlineData(2049, OutboundErrorCodes.InvalidUrl)]
    public async Task Url_of_exactly_2048_characters_is_allowed_and_one_more_is_refused(int length, string? expectedCode)
    {
        await using var internet = LoopbackServer.Respond(IPAddress.Loopback, 200, Ok);
        var connector = new RecordingConnector(new IPEndPoint(IPAddress.Loopback, internet.Port));
        using var http = OutboundTestKit.SafeHttp(Dns, connector: connector.ConnectAsync);
        const string prefix = "http://public.example/";
        var url = prefix + new string('a', length - prefix.Length);
        Assert.Equal(length, url.Length);

        if (expectedCode is null)
        {
            var response = await http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None);
            Assert.Equal(200, response.StatusCode);
            Assert.Single(connector.Endpoints);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
                () => http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None));
            Assert.Equal(expectedCode, ex.Code);
            Assert.Empty(connector.Endpoints);
        }
    }

    /// <summary>The corpus rows refused as <c>ssrf_blocked</c>, for the raw-handler run.</summary>
    public static TheoryData<string> SsrfBlockedRows()
    {
        var rows = new TheoryData<string>();
        foreach (var row in Corpus())
        {
            if ((string?)row[1] == OutboundErrorCodes.SsrfBlocked)
            {
                rows.Add((string)row[0]);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(SsrfBlockedRows))]
    public async Task Refused_rows_are_refused_by_the_raw_handler_without_the_url_check(string url)
    {
        // new HttpClient(safe.CreateHandler()) skips OutboundUrl entirely: only the connect-time guard
        // stands between the request and the address.
        await using var internet = LoopbackServer.Respond(IPAddress.Loopback, 200, Ok);
        var connector = new RecordingConnector(new IPEndPoint(IPAddress.Loopback, internet.Port));
        using var safe = OutboundTestKit.SafeHttp(Dns, connector: connector.ConnectAsync);
        using var client = new HttpClient(safe.CreateHandler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url + "?token=" + Secret)));

        var rejected = Assert.IsType<OutboundRequestRejectedException>(ex.InnerException);
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, rejected.Code);
        Assert.DoesNotContain(Secret, rejected.Message, StringComparison.Ordinal);
        Assert.Empty(connector.Endpoints);
        Assert.Equal(0, internet.AcceptedConnections);
    }

    [Fact]
    public void Corpus_has_at_least_80_cases() => Assert.True(Corpus().Count >= 80, $"only {Corpus().Count} rows");

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Corpus_url_is_allowed_or_refused_by_the_real_handler(string url, string? expectedCode, string? connectTo)
    {
        await using var internet = LoopbackServer.Respond(IPAddress.Loopback, 200, Ok);
        var connector = new RecordingConnector(new IPEndPoint(IPAddress.Loopback, internet.Port));
        using var http = OutboundTestKit.SafeHttp(Dns, connector: connector.ConnectAsync);
        var withQuery = url.StartsWith("http", StringComparison.Ordinal) ? url + "?token=" + Secret : url;

        if (expectedCode is null)
        {
            var response = await http.SendAsync(new PluginHttpRequest("GET", withQuery), null, CancellationToken.None);
            Assert.Equal(200, response.StatusCode);
            Assert.Equal(Ok, System.Text.Encoding.UTF8.GetString(response.Body.Span));
            var endpoint = Assert.Single(connector.Endpoints);
            Assert.Equal(IPAddress.Parse(connectTo!), endpoint.Address);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
                () => http.SendAsync(new PluginHttpRequest("GET", withQuery), null, CancellationToken.None));
            Assert.Equal(expectedCode, ex.Code);
            Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("pw", ex.Message, StringComparison.Ordinal);
            Assert.Empty(connector.Endpoints);
            Assert.Equal(0, internet.AcceptedConnections);
        }
    }

    [Theory]
    [InlineData("http://localhost/")]
    [InlineData("http://metadata.google.internal/")]
    public async Task Names_refused_by_rule_are_never_sent_to_the_resolver(string url)
    {
        var resolver = new FakeResolver().Map("localhost", "93.184.215.14").Map("metadata.google.internal", "93.184.215.14");
        using var http = OutboundTestKit.SafeHttp(resolver);
        var ex = await Assert.ThrowsAsync<OutboundRequestRejectedException>(
            () => http.SendAsync(new PluginHttpRequest("GET", url), null, CancellationToken.None));
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, ex.Code);
        Assert.Equal(0, resolver.TotalCalls);
    }

    [Fact]
    public async Task Raw_handler_applies_the_guard_without_SafeHttp_SendAsync()
    {
        var resolver = new FakeResolver().Map("internal-api.example", "10.1.2.3");
        using var safe = OutboundTestKit.SafeHttp(resolver);
        using var client = new HttpClient(safe.CreateHandler());
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://internal-api.example/")));
        var rejected = Assert.IsType<OutboundRequestRejectedException>(ex.InnerException);
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, rejected.Code);
        var literal = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://2130706433/")));
        Assert.Equal(OutboundErrorCodes.SsrfBlocked, Assert.IsType<OutboundRequestRejectedException>(literal.InnerException).Code);
    }
}
