using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Carapace.Host.Tests.Outbound;

/// <summary>
/// A real TCP server on a loopback address that counts accepted connections and answers one HTTP/1.1
/// request per connection with a scripted response. Raw sockets rather than Kestrel so tests can send
/// malformed, slow and endless responses.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<RequestHead, Stream, CancellationToken, Task> _respond;
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private int _accepted;
    private int _disposed;

    public LoopbackServer(
        IPAddress address,
        Func<RequestHead, Stream, CancellationToken, Task> respond,
        int port = 0,
        X509Certificate2? certificate = null)
    {
        _respond = respond;
        _certificate = certificate;
        _listener = new TcpListener(address, port);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IPAddress Address => ((IPEndPoint)_listener.LocalEndpoint).Address;

    public int AcceptedConnections => Volatile.Read(ref _accepted);

    /// <summary>Completes when the first request head has been read (for timeout tests).</summary>
    public TaskCompletionSource<RequestHead> FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static LoopbackServer Respond(IPAddress address, int status, string body = "ok", string extraHeaders = "", int port = 0) =>
        new(address, (_, stream, ct) => WriteAsync(stream, status, body, extraHeaders, ct), port);

    public static async Task WriteAsync(Stream stream, int status, string body, string extraHeaders, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = $"HTTP/1.1 {status} X\r\nContent-Length: {bytes.Length}\r\nContent-Type: text/plain\r\nConnection: close\r\n{extraHeaders}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(bytes, ct);
        await stream.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception)
        {
            // stopping
        }

        Task[] pending;
        lock (_connections)
        {
            pending = [.. _connections];
        }

        await Task.WhenAll(pending.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            lock (_connections)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(_certificate);
                    stream = ssl;
                }

                await using (stream)
                {
                    var head = await RequestHead.ReadAsync(stream, _stop.Token);
                    FirstRequest.TrySetResult(head);
                    await _respond(head, stream, _stop.Token);
                }
            }
            catch (Exception)
            {
                // The client went away (cap or timeout tests do that on purpose).
            }
        }
    }
}

internal sealed record RequestHead(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public static async Task<RequestHead> ReadAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(buffer))
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                throw new EndOfStreamException();
            }

            buffer.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        var body = Array.Empty<byte>();
        if (headers.TryGetValue("Content-Length", out var length) && int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) > 0)
        {
            body = new byte[int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)];
            await stream.ReadExactlyAsync(body, ct);
        }

        return new RequestHead(parts[0], parts[1], headers, body);
    }

    private static bool EndsWithBlankLine(List<byte> b) =>
        b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';
}
