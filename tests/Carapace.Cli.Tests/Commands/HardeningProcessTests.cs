using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>Audit, security headers and TLS against the real `cara start` process, driven by real `cara` verbs.</summary>
public sealed class HardeningProcessTests
{
    private const string Token = "hardening-process-token";

    [Fact]
    public async Task Audit_verb_shows_auth_failures_and_json_lines_parse()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/control/status"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
            await http.SendAsync(wrong);
        }

        CaraResult audit = null!;
        await Poll.UntilAsync(async () =>
        {
            audit = await gateway.CaraAsync(Token, "audit", "-n", "5");
            return audit.Stdout.Contains("auth_failure", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30), "the auth failure to reach the audit log");

        Assert.Equal(0, audit.ExitCode);
        Assert.Contains("auth_failure remote_ip=127.0.0.1", audit.Stdout, StringComparison.Ordinal);
        Assert.Contains("reason=\"invalid token\"", audit.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-token", audit.Stdout, StringComparison.Ordinal);

        var json = await gateway.CaraAsync(Token, "audit", "-n", "5", "--json");
        Assert.Equal(0, json.ExitCode);
        var line = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        var element = JsonDocument.Parse(line).RootElement;
        Assert.Equal("auth_failure", element.GetProperty("event").GetString());

        var file = Path.Combine(gateway.StateDir, "audit.jsonl");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var wrongToken = await gateway.CaraAsync("wrong", "audit");
        Assert.Equal(1, wrongToken.ExitCode);
        Assert.Contains("unauthorized", wrongToken.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_process_sends_security_headers_and_serves_metrics_only_with_auth()
    {
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };

        var health = await http.GetAsync("/health");
        Assert.Equal("DENY", health.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", health.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.StartsWith("default-src 'self'", health.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.False(health.Headers.Contains("Strict-Transport-Security"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/control/metrics")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var metrics = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("carapace_auth_failures_total 1", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_gateway_is_verified_with_the_state_certificate_and_refused_without_it()
    {
        using var configDir = new TempDirectory();
        var config = Path.Combine(configDir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  tls:\n    selfSigned: true\n");
        await using var gateway = await RunningGateway.StartAsync(new Dictionary<string, string?>
        {
            ["CARAPACE_GATEWAY_TOKEN"] = Token,
            ["CARAPACE_CONFIG_PATH"] = config,
        });
        Assert.Contains("Listening on https://127.0.0.1:", gateway.Stdout, StringComparison.Ordinal);
        var ca = Path.Combine(gateway.StateDir, "tls", "gateway.crt");
        var port = gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // The configuration says TLS: cara uses https and trusts the gateway's own certificate from the state dir.
        var auto = await gateway.CaraAsync(Token, "status");
        Assert.True(auto.ExitCode == 0, auto.ToString());
        Assert.Contains("Auth:     token", auto.Stdout, StringComparison.Ordinal);

        // Without the configuration: --tls alone fails verification; --ca verifies; an https URL works too.
        var bare = ClientEnvironment(gateway);
        var unverified = await CaraProcess.RunAsync(bare, "status", "--tls", "--port", port);
        Assert.Equal(1, unverified.ExitCode);
        Assert.Contains($"TLS with carapace at 127.0.0.1:{port} failed", unverified.Stderr, StringComparison.Ordinal);

        var verified = await CaraProcess.RunAsync(bare, "status", "--tls", "--ca", ca, "--port", port);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("Auth:     token", verified.Stdout, StringComparison.Ordinal);

        var url = await CaraProcess.RunAsync(bare, "logs", "-n", "5", "--host", $"https://127.0.0.1:{port}", "--ca", ca);
        Assert.True(url.ExitCode == 0, url.ToString());

        var insecure = await CaraProcess.RunAsync(bare, "status", "--insecure", "--port", port);
        Assert.True(insecure.ExitCode == 0, insecure.ToString());
        Assert.Contains("WARNING: --insecure", insecure.Stderr, StringComparison.Ordinal);

        var plain = await CaraProcess.RunAsync(bare, "logs", "--port", port);
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("pass --tls", plain.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_are_not_sent_over_plain_http_urls_to_a_remote_host()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "audit", "--host", "http://192.0.2.10:18789", "--token", "x");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Refusing to send credentials over plain HTTP to 192.0.2.10", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_flags_with_an_http_url_are_an_argument_error()
    {
        using var dir = new TempDirectory();

        var result = await CaraProcess.RunAsync(CaraProcess.IsolatedEnvironment(dir), "status", "--host", "http://127.0.0.1:1", "--tls");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("need https", result.Stderr, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> ClientEnvironment(RunningGateway gateway)
    {
        var env = gateway.ClientEnvironment(Token);
        env.Remove("CARAPACE_CONFIG_PATH");
        return env;
    }
}
