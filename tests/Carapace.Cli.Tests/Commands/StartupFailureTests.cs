using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

public sealed class StartupFailureTests
{
    [Fact]
    public async Task Bad_yaml_exits_2_with_file_line_and_column()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "bad.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  port: 1\n bind: [oops\n");

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "start", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"bad\.yaml:\d+:\d+: invalid YAML", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_environment_variable_exits_2_naming_it()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  auth:\n    token: ${CARAPACE_TEST_UNSET_VAR}\n");

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "start", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("gateway.auth.token: references ${CARAPACE_TEST_UNSET_VAR}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_port_flag_exits_2()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "start", "--port", "70000");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--port: must be between 0 and 65535", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_plugin_runtime_setting_exits_2_naming_the_key_and_its_line()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "plugins:\n  runtime:\n    toolTimeoutSeconds: soon\n");

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "start", "--config", config, "--port", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("configuration error:", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"carapace\.yaml:3:\d+: plugins\.runtime\.toolTimeoutSeconds: must be a number of seconds in \(0, 86400\], not 'soon'", result.Stderr);
        Assert.DoesNotContain("unexpected error", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_when_the_gateway_is_down_exits_1_with_the_upstream_message()
    {
        using var dir = new TempDirectory();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "status", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Could not connect to carapace at 127.0.0.1:{port}", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("cara start", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_are_never_sent_in_plaintext_to_a_remote_host()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "logs", "--host", "192.0.2.10", "--token", "x");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Refusing to send credentials over plain HTTP to 192.0.2.10", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_section_validated_at_start_exits_2_with_the_reason()
    {
        using var dir = new TempDirectory();
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "network:\n  allowPrivate: [10.0.0.1/8]\n");

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "start", "--config", config, "--port", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("carapace.yaml:2:18: network.allowPrivate.0: '10.0.0.1/8': host bits set (did you mean 10.0.0.0/8?)", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "--port", "99999", "--port: must be between 1 and 65535 (got 99999)")]
    [InlineData("logs", "--port", "0", "--port: must be between 1 and 65535 (got 0)")]
    [InlineData("status", "--host", "not a host", "--host: expected a host name, an IP address or http(s)://HOST[:PORT] (got 'not a host')")]
    [InlineData("status", "--host", "http://127.0.0.1:99999", "--host: expected a host name, an IP address or http(s)://HOST[:PORT]")]
    public async Task Client_verbs_refuse_a_bad_port_or_host_as_a_usage_error(string verb, string flag, string value, string expected)
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), verb, flag, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected error", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_credential_files_in_the_state_dir_stop_start_naming_each_file_and_nothing_listens()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        var state = env["CARAPACE_STATE_DIR"]!;
        Directory.CreateDirectory(Path.Combine(state, "credentials"));
        var json = Path.Combine(state, "credentials.json");
        var token = Path.Combine(state, "credentials", "gateway.token");
        await File.WriteAllTextAsync(json, """{"token":"x"}""");
        await File.WriteAllTextAsync(token, "plaintext-gateway-token\n");
        var port = FreePort();

        var result = await CaraProcess.RunAsync(env, "start", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("plaintext_credentials_found", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{json}: holds a plaintext secret under \"token\"", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{token}: holds a plaintext token", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("cara credentials set", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("plaintext-gateway-token", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Listening on", result.Stdout + result.Stderr, StringComparison.Ordinal);
        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => probe.ConnectAsync(System.Net.IPAddress.Loopback, port));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
