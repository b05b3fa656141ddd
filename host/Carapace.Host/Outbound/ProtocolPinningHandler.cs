using System.Net;
using System.Net.Http;

namespace Carapace.Host.Outbound;

/// <summary>
/// Keeps requests on HTTP/1.1 or HTTP/2. HTTP/3 runs over QUIC, which <see cref="SocketsHttpHandler"/>
/// opens without calling <see cref="SocketsHttpHandler.ConnectCallback"/>, so it would skip the guard.
/// </summary>
internal sealed class ProtocolPinningHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Pin(request);
        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Pin(request);
        return base.Send(request, cancellationToken);
    }

    private static void Pin(HttpRequestMessage request)
    {
        if (request.Version >= HttpVersion.Version30)
        {
            request.Version = HttpVersion.Version20;
        }

        request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
    }
}
