using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Carapace.Host.Outbound;

namespace Carapace.Host.Tests.Outbound;

/// <summary>A scripted resolver: answers per host, or per call for rebinding tests, and counts calls.</summary>
internal sealed class FakeResolver : IHostResolver
{
    private readonly ConcurrentDictionary<string, Func<int, IPAddress[]>> _answers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.OrdinalIgnoreCase);

    public FakeResolver Map(string host, params string[] addresses)
    {
        var parsed = addresses.Select(IPAddress.Parse).ToArray();
        _answers[host] = _ => parsed;
        return this;
    }

    /// <summary>Answer per call number (0-based): a rebinding DNS server.</summary>
    public FakeResolver MapByCall(string host, Func<int, IPAddress[]> answer)
    {
        _answers[host] = answer;
        return this;
    }

    public int Calls(string host) => _calls.GetValueOrDefault(host);

    public int TotalCalls => _calls.Values.Sum();

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        host = host.TrimEnd('.');
        var call = _calls.AddOrUpdate(host, 1, (_, n) => n + 1) - 1;
        return _answers.TryGetValue(host, out var answer)
            ? Task.FromResult(answer(call))
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
    }
}

/// <summary>
/// Stands in for "the internet": records the validated endpoint the guard chose and connects to a
/// local server instead. The guard has already judged the address when this is called.
/// </summary>
internal sealed class RecordingConnector(IPEndPoint forwardTo)
{
    public ConcurrentQueue<IPEndPoint> Endpoints { get; } = new();

    public async ValueTask<Stream> ConnectAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        Endpoints.Enqueue(endpoint);
        var socket = new Socket(forwardTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(forwardTo, ct);
        return new NetworkStream(socket, ownsSocket: true);
    }
}

internal static class OutboundTestKit
{
    public static OutboundOptions Options(params string[] allowPrivate) => new() { AllowPrivate = [.. allowPrivate] };

    public static AddressPolicy Policy(params string[] allowPrivate)
    {
        var errors = new List<string>();
        var networks = Options(allowPrivate).ParseAllowPrivate(errors);
        Assert.Empty(errors);
        return new AddressPolicy(networks);
    }

    public static SafeHttp SafeHttp(
        IHostResolver resolver,
        string[]? allowPrivate = null,
        EndpointConnector? connector = null,
        TimeProvider? time = null,
        Action<SocketsHttpHandler>? configure = null,
        OutboundOptions? options = null) =>
        new(Policy(allowPrivate ?? []), resolver, options ?? Options(allowPrivate ?? []), time ?? TimeProvider.System, connector, configure);
}
