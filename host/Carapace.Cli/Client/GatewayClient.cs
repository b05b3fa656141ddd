using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Carapace.Cli.Client;

/// <summary>A thin HTTP client over the gateway's API; every failure becomes a <see cref="CliException"/>.</summary>
internal sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;

    public GatewayClient(GatewayTarget target, TimeSpan? timeout = null)
        : this(target, CreateHandler(target), timeout)
    {
    }

    /// <summary>Over a given handler: a seam for tests of what the client sends.</summary>
    internal GatewayClient(GatewayTarget target, HttpMessageHandler handler, TimeSpan? timeout = null)
    {
        Target = target;
        _http = new HttpClient(handler)
        {
            BaseAddress = target.BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
    }

    private static SocketsHttpHandler CreateHandler(GatewayTarget target)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        if (target.UseTls)
        {
            handler.SslOptions = TlsOptions(target);
        }

        return handler;
    }

    public GatewayTarget Target { get; }

    /// <summary>Sends a request; <paramref name="authenticated"/> attaches the bearer credential.</summary>
    public async Task<GatewayResponse> SendAsync(HttpMethod method, string path, HttpContent? content, bool authenticated,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (authenticated)
        {
            if (Target.Credential is null)
            {
                throw new CliException(
                    "No credentials: set CARAPACE_GATEWAY_TOKEN (or CARAPACE_GATEWAY_PASSWORD), or pass --token.");
            }

            if (!Target.MaySendCredential)
            {
                throw new CliException(
                    $"Refusing to send credentials over plain HTTP to {Target.Host}: use a loopback address, or pass --allow-plaintext if you accept the risk.");
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Target.Credential);
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new GatewayResponse(response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.SecureConnectionError
                                              || ex.InnerException is AuthenticationException)
        {
            throw new CliException(
                $"TLS with carapace at {Target.Display} failed: {Output.Terminal.Safe(ex.InnerException?.Message ?? ex.Message)}{Environment.NewLine}" +
                "Verify the gateway's certificate with --ca FILE (a self-signed gateway's is <state>/tls/gateway.crt), or connect without --tls if it serves plain HTTP.");
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw NotReachable();
        }
        catch (HttpRequestException ex) when (!Target.UseTls && ex.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
        {
            throw new CliException($"carapace at {Target.Display} closed the connection without an HTTP answer; if it serves HTTPS, pass --tls.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"Timed out waiting for carapace at {Target.Display}");
        }
    }

    public Task<GatewayResponse> GetAsync(string path, bool authenticated, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, authenticated, cancellationToken);

    public CliException NotReachable() => new(
        $"Could not connect to carapace at {Target.Display}{Environment.NewLine}Is the server running? Start it with: cara start");

    public void Dispose() => _http.Dispose();

    private static SslClientAuthenticationOptions TlsOptions(GatewayTarget target)
    {
        var options = new SslClientAuthenticationOptions();
        if (target.Insecure)
        {
            Console.Error.WriteLine(
                $"WARNING: --insecure: the TLS certificate of {target.Display} is NOT verified. Anyone on the network path " +
                "can impersonate the gateway and read the credential. Use --ca FILE instead.");
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            return options;
        }

        if (target.CaPath is not null)
        {
            // The named certificate is the only trust anchor; the host name is still checked.
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(LoadCertificates(target.CaPath));
            options.CertificateChainPolicy = policy;
        }

        return options;
    }

    private static X509Certificate2Collection LoadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            var text = File.ReadAllText(path);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                certificates.ImportFromPem(text);
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--ca: cannot read a certificate from {path}: {ex.Message}", CliExit.ConfigError);
        }

        return certificates.Count > 0 ? certificates : throw new CliException($"--ca: no certificate in {path}", CliExit.ConfigError);
    }
}

/// <summary>A response the CLI inspects: status, body and content type.</summary>
internal sealed record GatewayResponse(HttpStatusCode Status, string Body, string? ContentType)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public T Read<T>(JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(Body, type) ?? throw new CliException("The gateway sent an empty response.");

    /// <summary>Turns a non-2xx answer into an operator-facing error (problem+json detail when present).</summary>
    public CliException ToError(string what)
    {
        if (Status == HttpStatusCode.Unauthorized)
        {
            return new CliException($"{what}: unauthorized. Check CARAPACE_GATEWAY_TOKEN (or --token).");
        }

        var detail = Body;
        var schemaErrors = string.Empty;
        try
        {
            using var doc = JsonDocument.Parse(Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                var code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                var text = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString()
                    : doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                detail = code is null ? text ?? Body : $"{text} ({code})";
                schemaErrors = SchemaErrors(doc.RootElement);
            }
        }
        catch (JsonException)
        {
        }

        return new CliException($"{what}: HTTP {(int)Status}: {Output.Terminal.Safe(detail)}{schemaErrors}");
    }

    /// <summary>
    /// The problem's <c>errors[]</c> (schema validation: <c>{path, message}</c>), one per line as
    /// <c>  /pointer: message</c>: the detail alone says only that the arguments are invalid, not where.
    /// </summary>
    private static string SchemaErrors(JsonElement problem)
    {
        if (!problem.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var lines = new System.Text.StringBuilder();
        foreach (var error in errors.EnumerateArray())
        {
            if (error.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var path = error.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            // Each piece is made terminal-safe on its own: the line breaks between them are ours.
            lines.Append('\n').Append("  ").Append(Output.Terminal.Safe(string.IsNullOrEmpty(path) ? "/" : path))
                .Append(": ").Append(Output.Terminal.Safe(message ?? "invalid"));
        }

        return lines.ToString();
    }
}
