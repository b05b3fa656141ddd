using System.Collections.Concurrent;
using System.Net;
using Carapace.Host.Metrics;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Security;

/// <summary>
/// At most <c>gateway.limits.maxConnectionsPerIp</c> open connections per peer address (the /64 for
/// IPv6), loopback included; Kestrel's <c>MaxConcurrentConnections</c> caps the total. A connection
/// over the limit is closed before any byte is read. Keyed on the socket peer: forwarded headers are not
/// known at this layer, so a trusted reverse proxy needs a limit large enough for all its clients.
/// </summary>
internal sealed class ConnectionLimits(int maxPerIp, GatewayMetrics metrics, ILogger logger)
{
    private readonly ConcurrentDictionary<IPAddress, int> _open = new();

    public int OpenFrom(IPAddress address) => _open.GetValueOrDefault(ClientAddress.LimitKey(ClientAddress.Normalize(address)));

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        if (connection.RemoteEndPoint is not IPEndPoint { Address: var remote })
        {
            await next(connection);
            return;
        }

        var key = ClientAddress.LimitKey(ClientAddress.Normalize(remote));
        var count = _open.AddOrUpdate(key, 1, static (_, n) => n + 1);
        try
        {
            if (count > maxPerIp)
            {
                metrics.ConnectionRejected();
                logger.LogDebug("Closing a connection from {RemoteIp}: {Count} open, limit {Limit}", key, count - 1, maxPerIp);
                connection.Abort(new ConnectionAbortedException("too many connections from this address"));
                return;
            }

            await next(connection);
        }
        finally
        {
            Release(key);
        }
    };

    private void Release(IPAddress key)
    {
        while (true)
        {
            if (!_open.TryGetValue(key, out var current))
            {
                return;
            }

            if (current <= 1)
            {
                if (_open.TryRemove(new KeyValuePair<IPAddress, int>(key, current)))
                {
                    return;
                }
            }
            else if (_open.TryUpdate(key, current - 1, current))
            {
                return;
            }
        }
    }
}
