using System.Net;
using System.Net.Sockets;

namespace Carapace.Host.Tests.Infrastructure;

/// <summary>
/// Clients that connect from a chosen source address. 127.0.0.2 is on the loopback interface but is not
/// the gateway's "loopback" (only 127.0.0.1 and ::1 are), so it plays a remote client without a network
/// namespace; traffic never leaves this machine.
/// </summary>
internal static class Peers
{
    public static readonly IPAddress Remote = IPAddress.Parse("127.0.0.2");

    public static HttpClient From(IPAddress source, Uri baseAddress, string? bearer = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public static TcpClient Tcp(IPAddress source, Uri baseAddress)
    {
        var client = new TcpClient(new IPEndPoint(source, 0));
        client.Connect(baseAddress.Host, baseAddress.Port);
        return client;
    }
}
