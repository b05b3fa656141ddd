using System.Net;
using System.Net.Http.Headers;
using Carapace.Cli.Tests.Infrastructure;

namespace Carapace.Cli.Tests.Commands;

/// <summary>
/// The seed's "Verify key controls" checks, run against the real `cara start` process with a real
/// HTTP client and the real `cara status` / `cara logs` processes.
/// </summary>
public sealed class GatewayProcessTests
{
    private const string Token = "process-test-token-91";

    [Fact]
    public async Task Seed_verification_checks_pass_against_the_real_process()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };

        // curl -sS http://127.0.0.1:18789/health
        var health = await http.GetStringAsync("/health");
        Assert.Contains("\"status\":\"ok\"", health, StringComparison.Ordinal);

        // /control/status: 401 without auth, 401 with a wrong token, 200 with the token.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/control/status")).StatusCode);
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/control/status"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }

        using (var right = new HttpRequestMessage(HttpMethod.Get, "/control/status"))
        {
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(right)).StatusCode);
        }

        // cara status --host 127.0.0.1 --port N: healthy, exit 0.
        var status = await gateway.CaraAsync(Token, "status", "--host", "127.0.0.1");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Status:   healthy", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("Version:  0.1.0", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("Plugins:", status.Stdout, StringComparison.Ordinal);
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^  Uptime:   (\d+m )?\d+s$", System.Text.RegularExpressions.RegexOptions.Multiline), status.Stdout);

        // cara logs -n 200: startup and auth events.
        var logs = await gateway.CaraAsync(Token, "logs", "-n", "200");
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("Carapace 0.1.0 starting", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("Listening on http://127.0.0.1:", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("Control auth failed from 127.0.0.1", logs.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-token", logs.Stdout, StringComparison.Ordinal);
        // Plugin lifecycle events reach the same buffer: the bundled plugins log their activation.
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"plugin [a-z0-9-]+ \S+ active \(\d+\.\d ms; tools: .*; channels: "), logs.Stdout);

        // SIGTERM stops it cleanly.
        var exit = await gateway.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, exit);
        Assert.Contains("Shutting down", gateway.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_json_includes_health_and_control_status()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });

        var status = await gateway.CaraAsync(Token, "status", "--json");

        Assert.Equal(0, status.ExitCode);
        var json = System.Text.Json.JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal("ok", json.GetProperty("health").GetProperty("status").GetString());
        Assert.True(json.GetProperty("controlStatus").GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Status_without_credentials_still_reports_health_and_says_why_control_was_skipped()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });

        var status = await gateway.CaraAsync(null, "status");

        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Status:   healthy", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("no credentials", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_with_a_wrong_token_exit_1_with_a_clear_message()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });

        var logs = await gateway.CaraAsync("wrong", "logs", "-n", "5");

        Assert.Equal(1, logs.ExitCode);
        Assert.Contains("unauthorized", logs.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_without_auth_starts_and_denies_control_requests()
    {
        await using var gateway = await RunningGateway.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "anything");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
        Assert.Contains("every /control request will be denied", gateway.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_stops_the_real_gateway_cleanly()
    {
        await using var gateway = await RunningGateway.StartWithCtrlCAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });

        var exit = await gateway.TerminateAsync(TimeSpan.FromSeconds(30), CaraProcess.SIGINT);

        Assert.Equal(0, exit);
        Assert.Contains("Shutting down", gateway.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bind_lan_flag_listens_on_every_interface_and_warns()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, "--bind", "lan");

        Assert.Contains("Listening on http://0.0.0.0:", gateway.Stdout, StringComparison.Ordinal);
        Assert.Contains("beyond loopback: anyone who can reach it can attempt to authenticate", gateway.Stdout, StringComparison.Ordinal);
        Assert.Contains("TLS is off while binding beyond loopback", gateway.Stdout, StringComparison.Ordinal);
        var status = await gateway.CaraAsync(Token, "status");
        Assert.True(status.ExitCode == 0, status.ToString());
    }

    [Fact]
    public async Task Client_verbs_use_CARAPACE_GATEWAY_PASSWORD()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_PASSWORD"] = "process-test-password" });
        var port = gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var env = gateway.ClientEnvironment();

        var logs = await CaraProcess.RunAsync(env, "logs", "-n", "50", "--port", port);
        env["CARAPACE_GATEWAY_PASSWORD"] = "not-the-password";
        var wrong = await CaraProcess.RunAsync(env, "logs", "-n", "50", "--port", port);

        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("Control API auth: password (from CARAPACE_GATEWAY_PASSWORD)", logs.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("unauthorized", wrong.Stderr, StringComparison.Ordinal);
    }

    [NonLoopbackAddressFact]
    public async Task Allow_plaintext_sends_the_credential_to_a_non_loopback_host_and_only_then()
    {
        var address = NonLoopbackAddress.Find()!;
        using var listener = new System.Net.Sockets.TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var dir = new Carapace.Testing.TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);

        var refused = await CaraProcess.RunAsync(env, "logs", "--host", address.ToString(), "--port", port, "--token", "plain-secret");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"Refusing to send credentials over plain HTTP to {address}", refused.Stderr, StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the refused run must not even connect");

        var allowed = CaraProcess.RunAsync(env, "logs", "--host", address.ToString(), "--port", port, "--token", "plain-secret", "--allow-plaintext");
        using var client = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var head = await ReadHeadAsync(client.GetStream());
        await client.GetStream().WriteAsync("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        client.Close();
        var result = await allowed;

        Assert.Contains("Authorization: Bearer plain-secret", head, StringComparison.Ordinal);
        Assert.Contains($"Host: {address}:{port}", head, StringComparison.Ordinal);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unauthorized", result.Stderr, StringComparison.Ordinal);
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(30)) == 0)
            {
                break;
            }

            bytes.Add(one[0]);
        }

        return System.Text.Encoding.ASCII.GetString([.. bytes]);
    }
}
