using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Carapace.Abstractions.Http;

namespace Carapace.Host.Outbound;

/// <summary>Opens the TCP stream to an already validated endpoint. A seam for tests only.</summary>
internal delegate ValueTask<Stream> EndpointConnector(IPEndPoint endpoint, CancellationToken cancellationToken);

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host once, refuses the request if
/// any answer is non-public, then connects to one of exactly those validated addresses. There is no
/// second lookup, so a rebinding DNS server cannot swap the address between check and connect.
/// </summary>
internal sealed class GuardedConnector(AddressPolicy policy, IHostResolver resolver, EndpointConnector? connector = null)
{
    private readonly EndpointConnector _connect = connector ?? ConnectSocketAsync;

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        var display = $"{context.InitialRequestMessage.RequestUri?.Scheme ?? "http"}://{host}:{port}";

        // Same name and literal rules as the URL check: the handler may be used without SafeHttp.
        OutboundUrl.CheckHost(host, null, policy);

        IPAddress[] addresses;
        if (OutboundUrl.TryParseLiteral(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await resolver.ResolveAsync(host, cancellationToken);
            }
            catch (Exception ex) when (ex is SocketException or ArgumentException)
            {
                throw new OutboundRequestRejectedException(
                    OutboundErrorCodes.ResolveFailed, $"could not resolve {display}", ex);
            }
        }

        if (addresses.Length == 0)
        {
            throw new OutboundRequestRejectedException(
                OutboundErrorCodes.ResolveFailed, $"{display} resolved to no address");
        }

        // Every answer must pass: connecting to "the first public one" would let an attacker-controlled
        // zone mix a private address in and win whenever the public one is unreachable.
        foreach (var address in addresses)
        {
            var verdict = policy.Evaluate(address);
            if (!verdict.Allowed)
            {
                throw new OutboundRequestRejectedException(
                    OutboundErrorCodes.SsrfBlocked,
                    $"{display} resolved to a non-public address {address} ({verdict.Reason})");
            }
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var target = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            try
            {
                return await _connect(new IPEndPoint(target, port), cancellationToken);
            }
            catch (SocketException ex)
            {
                last = ex;
            }
        }

        throw new HttpRequestException(HttpRequestError.ConnectionError, $"could not connect to {display}", last);
    }

    private static async ValueTask<Stream> ConnectSocketAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
