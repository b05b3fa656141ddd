using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using Carapace.Abstractions.Http;

namespace Carapace.Host.Outbound;

/// <summary>
/// The host's single outbound HTTP path. <see cref="CreateHandler"/> is the guarded handler (SSRF and
/// DNS-rebinding checks at connect time, no proxy, no automatic redirects); <see cref="SendAsync"/> adds
/// the URL rules, request/response caps, an always-on timeout and hop-by-hop re-validated redirects.
/// </summary>
internal sealed class SafeHttp : IDisposable
{
    public const int MaxRedirects = 5;

    private static readonly HashSet<string> AllowedMethods = new(StringComparer.OrdinalIgnoreCase)
    {
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
    };

    // Headers that would let a caller change what is connected to, or desynchronise framing.
    private static readonly HashSet<string> ForbiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer",
        "Proxy-Authorization", "Proxy-Connection", "Expect",
    };

    private static readonly HashSet<string> CrossOriginDroppedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie",
    };

    private readonly GuardedConnector _connector;
    private readonly OutboundOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<SocketsHttpHandler>? _configureForTests;
    private readonly HttpMessageInvoker _invoker;

    public SafeHttp(
        AddressPolicy policy,
        IHostResolver resolver,
        OutboundOptions options,
        TimeProvider time,
        EndpointConnector? connectorForTests = null,
        Action<SocketsHttpHandler>? configureForTests = null)
    {
        Policy = policy;
        _options = options;
        _time = time;
        _configureForTests = configureForTests;
        _connector = new GuardedConnector(policy, resolver, connectorForTests);
        _invoker = new HttpMessageInvoker(CreateHandler(), disposeHandler: true);
    }

    public AddressPolicy Policy { get; }

    /// <summary>
    /// A new guarded handler. Host code that needs an <see cref="HttpClient"/> builds it on this; it then
    /// gets the connect-time guard, but the URL rules, caps and redirect policy only come with
    /// <see cref="SendAsync"/>.
    /// </summary>
    public HttpMessageHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxResponseHeadersLength = 64,
        };
        _configureForTests?.Invoke(handler);

        // Set after the test hook so nothing can weaken them.
        handler.UseProxy = false;
        handler.Proxy = null;
        handler.AllowAutoRedirect = false;
        handler.UseCookies = false;
        handler.Credentials = null;
        handler.PreAuthenticate = false;
        handler.ConnectCallback = _connector.ConnectAsync;
        return new ProtocolPinningHandler(handler);
    }

    /// <param name="request">The request; its timeout is clamped to <c>network.maxTimeoutSeconds</c>.</param>
    /// <param name="redirectCheck">Extra check for each redirect hop (a plugin's URL grants); throws to refuse.</param>
    /// <param name="cancellationToken">The caller's token; cancelling it throws <see cref="OperationCanceledException"/>.</param>
    public async Task<PluginHttpResponse> SendAsync(
        PluginHttpRequest request,
        Func<Uri, ValueTask>? redirectCheck,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = OutboundUrl.Parse(request.Url, Policy);
        var method = ValidateMethod(request.Method);
        var headers = ValidateHeaders(request.Headers);
        if (request.Body.Length > _options.MaxRequestBytes)
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.RequestTooLarge,
                $"request body of {request.Body.Length} bytes exceeds the {_options.MaxRequestBytes}-byte cap");
        }

        var body = request.Body;
        var contentType = request.ContentType;
        using var timeout = new CancellationTokenSource(ClampTimeout(request.Timeout), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);

        for (var redirects = 0; ; redirects++)
        {
            HttpResponseMessage response;
            try
            {
                using var message = BuildMessage(method, uri, headers, body, contentType);
                response = await _invoker.SendAsync(message, linked.Token);
            }
            catch (Exception ex) when (Translate(ex, uri, timeout, cancellationToken) is { } translated)
            {
                throw translated;
            }

            using (response)
            {
                if (!request.FollowRedirects || !IsRedirect(response.StatusCode))
                {
                    try
                    {
                        return await ReadResponseAsync(response, method, uri, linked.Token);
                    }
                    catch (Exception ex) when (Translate(ex, uri, timeout, cancellationToken) is { } translated)
                    {
                        throw translated;
                    }
                }

                if (redirects >= MaxRedirects)
                {
                    throw new OutboundRequestRejectedException(
                        OutboundErrorCodes.TooManyRedirects, $"more than {MaxRedirects} redirects from {UrlRedaction.Origin(uri)}");
                }

                var next = NextHop(uri, response.Headers.Location);
                if (redirectCheck is not null)
                {
                    await redirectCheck(next);
                }

                if (!SameOrigin(uri, next))
                {
                    headers = headers.Where(h => !CrossOriginDroppedHeaders.Contains(h.Key)).ToList();
                }

                if (RewritesToGet(response.StatusCode, method))
                {
                    method = HttpMethod.Get;
                    body = ReadOnlyMemory<byte>.Empty;
                    contentType = null;
                }

                uri = next;
            }
        }
    }

    public void Dispose() => _invoker.Dispose();

    /// <summary>Resolves and validates a redirect target with the same rules as the first request.</summary>
    internal Uri NextHop(Uri current, Uri? location)
    {
        if (location is null)
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.RedirectRefused, $"redirect from {UrlRedaction.Origin(current)} has no Location");
        }

        if (!Uri.TryCreate(current, location, out var next))
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.RedirectRefused, $"redirect from {UrlRedaction.Origin(current)} has an invalid Location");
        }

        if (current.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.RedirectRefused,
                $"redirect from {UrlRedaction.Origin(current)} to {UrlRedaction.Origin(next)} would downgrade https to http");
        }

        return OutboundUrl.Validate(next, Policy);
    }

    private TimeSpan ClampTimeout(TimeSpan? requested) => EffectiveTimeout(requested, _options);

    /// <summary>
    /// The timeout a request runs under, never "none": its own when positive, else
    /// <c>network.timeoutSeconds</c> (30 s); at most <c>network.maxTimeoutSeconds</c> (300 s).
    /// </summary>
    internal static TimeSpan EffectiveTimeout(TimeSpan? requested, OutboundOptions options)
    {
        var max = TimeSpan.FromSeconds(options.MaxTimeoutSeconds);
        var value = requested is { } own && own > TimeSpan.Zero ? own : TimeSpan.FromSeconds(options.TimeoutSeconds);
        return value > max ? max : value;
    }

    private static HttpMethod ValidateMethod(string method)
    {
        if (string.IsNullOrEmpty(method) || !AllowedMethods.Contains(method))
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.InvalidRequest, "method must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS");
        }

        return HttpMethod.Parse(method.ToUpperInvariant());
    }

    private static List<KeyValuePair<string, string>> ValidateHeaders(IReadOnlyDictionary<string, string> headers)
    {
        foreach (var name in headers.Keys)
        {
            if (ForbiddenHeaders.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase))
            {
                throw new OutboundRequestRejectedException(
                    OutboundErrorCodes.InvalidRequest, $"header '{name}' may not be set");
            }
        }

        return [.. headers];
    }

    private static HttpRequestMessage BuildMessage(
        HttpMethod method,
        Uri uri,
        List<KeyValuePair<string, string>> headers,
        ReadOnlyMemory<byte> body,
        string? contentType)
    {
        var message = new HttpRequestMessage(method, uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (!body.IsEmpty || contentType is not null)
        {
            message.Content = new ReadOnlyMemoryContent(body);
            if (contentType is not null)
            {
                if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed))
                {
                    message.Dispose();
                    throw new OutboundRequestRejectedException(OutboundErrorCodes.InvalidRequest, "content type is not valid");
                }

                message.Content.Headers.ContentType = parsed;
            }
        }

        foreach (var (name, value) in headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value)
                && (message.Content is null || !message.Content.Headers.TryAddWithoutValidation(name, value)))
            {
                message.Dispose();
                throw new OutboundRequestRejectedException(
                    OutboundErrorCodes.InvalidRequest, $"header '{name}' is not valid here");
            }
        }

        return message;
    }

    private async Task<PluginHttpResponse> ReadResponseAsync(
        HttpResponseMessage response, HttpMethod method, Uri uri, CancellationToken cancellationToken)
    {
        var max = _options.MaxResponseBytes;
        var declared = response.Content.Headers.ContentLength;
        if (method != HttpMethod.Head && declared > max)
        {
            throw TooLarge(uri, max);
        }

        var buffer = new MemoryStream(capacity: (int)Math.Min(declared ?? 0, max));
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    throw TooLarge(uri, max);
                }

                buffer.Write(chunk, 0, read);
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name] = string.Join(", ", values);
        }

        return new PluginHttpResponse(
            (int)response.StatusCode,
            headers,
            response.Content.Headers.ContentType?.ToString(),
            buffer.GetBuffer().AsMemory(0, (int)buffer.Length),
            uri.AbsoluteUri);
    }

    private static OutboundRequestRejectedException TooLarge(Uri uri, long max) =>
        new(OutboundErrorCodes.ResponseTooLarge, $"response from {UrlRedaction.Origin(uri)} exceeds the {max}-byte cap");

    /// <summary>
    /// Maps handler failures to stable codes. Returns <c>null</c> (rethrow as is) only for the caller's
    /// own cancellation. Messages are rebuilt from the origin and inner exceptions are not attached:
    /// their texts are not trusted to leave the path and query out.
    /// </summary>
    private static Exception? Translate(Exception ex, Uri uri, CancellationTokenSource timeout, CancellationToken caller)
    {
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is OutboundRequestRejectedException rejected)
            {
                return rejected;
            }
        }

        if (caller.IsCancellationRequested && ex is OperationCanceledException)
        {
            return null;
        }

        if (timeout.IsCancellationRequested)
        {
            return new OutboundRequestRejectedException(
                OutboundErrorCodes.Timeout, $"request to {UrlRedaction.Origin(uri)} timed out");
        }

        return ex switch
        {
            HttpRequestException http => new OutboundRequestRejectedException(
                OutboundErrorCodes.RequestFailed, $"request to {UrlRedaction.Origin(uri)} failed ({http.HttpRequestError})"),
            _ => new OutboundRequestRejectedException(
                OutboundErrorCodes.RequestFailed, $"request to {UrlRedaction.Origin(uri)} failed ({ex.GetType().Name})"),
        };
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool RewritesToGet(HttpStatusCode status, HttpMethod method) =>
        (status == HttpStatusCode.SeeOther && method != HttpMethod.Head)
        || (status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found && method == HttpMethod.Post);

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);
}
