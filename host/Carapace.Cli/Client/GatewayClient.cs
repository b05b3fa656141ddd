using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Carapace.Cli.Client;

/// <summary>A thin HTTP client over the gateway's API; every failure becomes a <see cref="CliException"/>.</summary>
internal sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;

    public GatewayClient(GatewayTarget target, TimeSpan? timeout = null)
    {
        Target = target;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = target.BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
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
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw NotReachable();
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
        try
        {
            using var doc = JsonDocument.Parse(Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                var code = doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                var text = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString()
                    : doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                detail = code is null ? text ?? Body : $"{text} ({code})";
            }
        }
        catch (JsonException)
        {
        }

        return new CliException($"{what}: HTTP {(int)Status}: {Output.Terminal.Safe(detail)}");
    }
}
