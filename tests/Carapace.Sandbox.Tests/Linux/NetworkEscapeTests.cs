using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Carapace.Sandbox.Tests.Linux;

[Collection(SandboxCollection.Name)]
public sealed class NetworkEscapeTests(SandboxFixture fx)
{
    [Fact]
    public async Task Tcp_connect_to_a_loopback_listener_is_denied()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await fx.Broker.RunAsync(SandboxFixture.Bash($"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"), default);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Permission denied", result.StderrText, StringComparison.Ordinal);
        Assert.DoesNotContain("connected", result.StdoutText, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Tcp_connect_is_allowed_to_a_granted_port_only()
    {
        using var granted = new TcpListener(IPAddress.Loopback, 0);
        using var other = new TcpListener(IPAddress.Loopback, 0);
        granted.Start();
        other.Start();
        var grantedPort = ((IPEndPoint)granted.LocalEndpoint).Port;
        var otherPort = ((IPEndPoint)other.LocalEndpoint).Port;
        var request = SandboxFixture.Bash(
            $"exec 3<>/dev/tcp/127.0.0.1/{grantedPort} && echo hello >&3 && echo granted-ok; exec 4<>/dev/tcp/127.0.0.1/{otherPort} && echo other-ok")
            with { Network = SandboxNetwork.TcpConnect(grantedPort) };

        var run = fx.Broker.RunAsync(request, default);
        using var client = await granted.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(15));
        var line = await new StreamReader(client.GetStream()).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        var result = await run;

        Assert.Equal("hello", line);
        Assert.Contains("granted-ok", result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("other-ok", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains($"/dev/tcp/127.0.0.1/{otherPort}: Permission denied", result.StderrText, StringComparison.Ordinal);
        Assert.False(other.Pending());
    }

    [Fact]
    public async Task Udp_datagram_to_a_loopback_socket_is_not_delivered()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        var script = $"echo leak > /dev/udp/127.0.0.1/{port}";

        var none = await fx.Broker.RunAsync(SandboxFixture.Bash(script), default);
        Assert.NotEqual(0, none.ExitCode);
        Assert.Contains("socket: Permission denied", none.StderrText, StringComparison.Ordinal);

        // A TCP port grant does not open UDP either.
        var ports = await fx.Broker.RunAsync(SandboxFixture.Bash(script) with { Network = SandboxNetwork.TcpConnect(port) }, default);
        Assert.NotEqual(0, ports.ExitCode);
        Assert.Contains("socket: Permission denied", ports.StderrText, StringComparison.Ordinal);

        // Loopback delivery is synchronous: had a datagram been sent, it would be queued by now.
        Assert.Equal(0, udp.Available);

        // Control: the same command unconfined does deliver, so the check above can see a leak.
        using var plain = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", script]))!;
        await plain.WaitForExitAsync();
        Assert.True(await Poll.UntilAsync(() => udp.Available > 0, TimeSpan.FromSeconds(5)));
    }
}
