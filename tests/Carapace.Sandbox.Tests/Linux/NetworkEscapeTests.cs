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

    [Fact]
    public async Task Tcp_bind_is_denied_even_with_connect_ports_granted()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        const string listen = "use Socket; socket(my $s, PF_INET, SOCK_STREAM, 0) or die qq(socket: $!\\n); " +
            "setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1); bind($s, sockaddr_in($ARGV[0], INADDR_LOOPBACK)) or die qq(bind: $!\\n); " +
            "listen($s, 1) or die qq(listen: $!\\n); print qq(listening\\n)";
        var arg = port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // network none: seccomp refuses the AF_INET socket itself.
        var none = await fx.Broker.RunAsync(SandboxFixture.Request("/usr/bin/perl", "-e", listen, arg), default);
        Assert.Equal("socket: Permission denied\n", none.StderrText);

        // ports: a TCP socket may be created, but Landlock handles BIND_TCP and grants it for no port.
        var ports = await fx.Broker.RunAsync(SandboxFixture.Request("/usr/bin/perl", "-e", listen, arg) with { Network = SandboxNetwork.TcpConnect(port) }, default);
        Assert.Equal("bind: Permission denied\n", ports.StderrText);
        Assert.DoesNotContain("listening", ports.StdoutText, StringComparison.Ordinal);

        // Control: unconfined, the same script listens.
        using var plain = Process.Start(new ProcessStartInfo("/usr/bin/perl", ["-e", listen, arg]) { RedirectStandardOutput = true })!;
        Assert.Equal("listening\n", await plain.StandardOutput.ReadToEndAsync());
    }

    [Fact]
    public async Task An_abstract_unix_socket_outside_the_sandbox_cannot_be_reached()
    {
        Assert.True(fx.Broker.BackendStatus!.LandlockAbi >= 6, "abstract unix socket scoping needs Landlock ABI 6");
        var name = "carapace-test-" + Guid.NewGuid().ToString("N");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name));
        listener.Listen(4);
        const string connect = "use Socket; socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die qq(socket: $!\\n); " +
            "connect($s, pack_sockaddr_un(qq(\\0) . $ARGV[0])) or die qq(connect: $!\\n); print qq(connected\\n)";

        var confined = await fx.Broker.RunAsync(SandboxFixture.Request("/usr/bin/perl", "-e", connect, name), default);

        Assert.Equal("connect: Operation not permitted\n", confined.StderrText); // Landlock's scope answers EPERM
        Assert.False(listener.Poll(0, SelectMode.SelectRead));

        // Control: unconfined, the same script connects, so the denial above was the sandbox's.
        using var plain = Process.Start(new ProcessStartInfo("/usr/bin/perl", ["-e", connect, name]) { RedirectStandardOutput = true })!;
        Assert.Equal("connected\n", await plain.StandardOutput.ReadToEndAsync());
        Assert.True(listener.Poll(5_000_000, SelectMode.SelectRead));
    }
}
