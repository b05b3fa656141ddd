using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Carapace.Host.Tests.Infrastructure;

/// <summary>
/// Sends bytes exactly as written (HttpClient would normalise <c>//control</c>, <c>/./</c>, methods and
/// headers away) and parses the answer. Requests should carry <c>Connection: close</c>.
/// </summary>
internal static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri baseAddress, string request, IPAddress? source = null)
    {
        using var tcp = source is null ? new TcpClient() : new TcpClient(new IPEndPoint(source, 0));
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var buffer = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var chunk = new byte[16 * 1024];
        try
        {
            // Until the server closes, or one complete response has arrived (a kept-alive connection stays open).
            while (!IsComplete(buffer, request.StartsWith("HEAD ", StringComparison.Ordinal)))
            {
                var read = await stream.ReadAsync(chunk, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (IOException) when (buffer.Length > 0)
        {
            // Reset after the answer (the server closed a connection it refused): keep what arrived.
        }

        return RawResponse.Parse(Encoding.Latin1.GetString(buffer.ToArray()));
    }

    private static bool IsComplete(MemoryStream buffer, bool head)
    {
        var text = Encoding.Latin1.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var response = RawResponse.Parse(text);
        if (head || response.Status is 204 or 304)
        {
            return true;
        }

        if (response.Headers.TryGetValue("Content-Length", out var length))
        {
            return text.Length - split - 4 >= int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
        }

        return response.Headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase)
            && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    public static string Get(string target, string host = "localhost", string extraHeaders = "", string method = "GET") =>
        $"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{extraHeaders}Connection: close\r\n\r\n";
}

internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body, string Raw)
{
    public static RawResponse Parse(string raw)
    {
        var split = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return new RawResponse(0, new Dictionary<string, string>(), string.Empty, raw);
        }

        var lines = raw[..split].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new RawResponse(status, headers, raw[(split + 4)..], raw);
    }

    public HttpStatusCode Code => (HttpStatusCode)Status;
}
