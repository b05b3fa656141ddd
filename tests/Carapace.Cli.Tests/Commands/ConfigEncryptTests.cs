using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>`cara config encrypt KEY` seals a value in place; the gateway opens it at start.</summary>
public sealed class ConfigEncryptTests
{
    [Fact]
    public async Task Encrypt_seals_in_place_keeps_comments_and_the_gateway_decrypts_at_start()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_CONFIG_PASSWORD"] = "config-password";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "# my gateway\ngateway:\n  auth:\n    token: sealed-token-42   # keep me\n");
        env["CARAPACE_CONFIG_PATH"] = config;

        var encrypt = await CaraProcess.RunAsync(env, "config", "encrypt", "gateway.auth.token");

        Assert.True(encrypt.ExitCode == 0, encrypt.ToString());
        var text = await File.ReadAllTextAsync(config);
        Assert.DoesNotContain("sealed-token-42", text, StringComparison.Ordinal);
        Assert.Contains("token: \"enc:v2:", text, StringComparison.Ordinal);
        Assert.Contains("# keep me", text, StringComparison.Ordinal);
        Assert.StartsWith("# my gateway", text, StringComparison.Ordinal);
        Assert.Contains("already sealed", (await CaraProcess.RunAsync(env, "config", "encrypt", "gateway.auth.token")).Stdout, StringComparison.Ordinal);

        await using var gateway = await RunningGateway.StartAsync(env);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/config");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sealed-token-42");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("sealed-token-42", body, StringComparison.Ordinal);
        Assert.DoesNotContain("enc:v2", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_encrypt_audits_the_key_it_sealed_and_never_the_value()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_CONFIG_PASSWORD"] = "config-password";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  auth:\n    token: plaintext-token-77\n");

        var encrypt = await CaraProcess.RunAsync(env, "config", "encrypt", "gateway.auth.token", "--config", config);
        var again = await CaraProcess.RunAsync(env, "config", "encrypt", "gateway.auth.token", "--config", config);

        Assert.True(encrypt.ExitCode == 0, encrypt.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        var auditPath = Path.Combine(dir.Path, "state", "audit.jsonl");
        var text = await File.ReadAllTextAsync(auditPath);
        var change = Assert.Single(AuditLines(auditPath), e => e.GetProperty("event").GetString() == "config_changed").GetProperty("data");
        Assert.Equal("gateway.auth.token", change.GetProperty("key_path").GetString());
        Assert.Equal("cli", change.GetProperty("actor").GetString());
        Assert.Equal("encrypt", change.GetProperty("method").GetString());
        Assert.Equal(config, change.GetProperty("path").GetString());
        Assert.DoesNotContain("plaintext-token-77", text, StringComparison.Ordinal);
        Assert.DoesNotContain("enc:v2", text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(auditPath));
    }

    [Fact]
    public async Task Sealed_value_without_the_password_stops_start_naming_the_key()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_CONFIG_PASSWORD"] = "config-password";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  auth:\n    token: abc\n");
        Assert.Equal(0, (await CaraProcess.RunAsync(env, "config", "encrypt", "gateway.auth.token", "--config", config)).ExitCode);
        env.Remove("CARAPACE_CONFIG_PASSWORD");

        var start = await CaraProcess.RunAsync(env, "start", "--config", config, "--port", "0");

        Assert.Equal(2, start.ExitCode);
        Assert.Contains("gateway.auth.token", start.Stderr, StringComparison.Ordinal);
        Assert.Contains("CARAPACE_CONFIG_PASSWORD is not set", start.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_envelope_versions_fail_the_load()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_CONFIG_PASSWORD"] = "config-password";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "gateway:\n  auth:\n    token: \"enc:v3:AAAA:BBBB:CCCC\"\n");

        var result = await CaraProcess.RunAsync(env, "config", "validate", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("only enc:v2 is supported", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("enc:v1:AAAA:BBBB:CCCC")]
    [InlineData("enc:v3:AAAA:BBBB:CCCC")]
    public async Task Encrypt_refuses_other_envelope_versions_instead_of_calling_them_sealed(string envelope)
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_CONFIG_PASSWORD"] = "config-password";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        var original = $"gateway:\n  auth:\n    token: \"{envelope}\"\n";
        await File.WriteAllTextAsync(config, original);

        var result = await CaraProcess.RunAsync(env, "config", "encrypt", "gateway.auth.token", "--config", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("gateway.auth.token: holds an unsupported secret envelope: only enc:v2 is supported", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("already sealed", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(config));
    }

    private static List<JsonElement> AuditLines(string path) =>
        File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
}
