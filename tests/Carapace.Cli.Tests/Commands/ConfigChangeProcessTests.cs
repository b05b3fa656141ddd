using System.Security.Cryptography;
using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>config_changed in the real audit.jsonl, from the real `cara config encrypt` and `cara start` processes.</summary>
public sealed class ConfigChangeProcessTests
{
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
        var change = Assert.Single(Lines(auditPath), e => e.GetProperty("event").GetString() == "config_changed").GetProperty("data");
        Assert.Equal("gateway.auth.token", change.GetProperty("key_path").GetString());
        Assert.Equal("cli", change.GetProperty("actor").GetString());
        Assert.Equal("encrypt", change.GetProperty("method").GetString());
        Assert.Equal(config, change.GetProperty("path").GetString());
        Assert.DoesNotContain("plaintext-token-77", text, StringComparison.Ordinal);
        Assert.DoesNotContain("enc:v2", text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(auditPath));
    }

    [Fact]
    public async Task A_restart_after_an_edit_audits_the_old_and_new_hash_and_an_unchanged_restart_does_not()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_GATEWAY_TOKEN"] = "config-change-token";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        env["CARAPACE_CONFIG_PATH"] = config;
        var auditPath = Path.Combine(dir.Path, "state", "audit.jsonl");
        await File.WriteAllTextAsync(config, "logging:\n  level: Information\n");
        var first = Sha256(config);

        await RunOnceAsync(env);
        await File.WriteAllTextAsync(config, "logging:\n  level: Debug\n");
        await RunOnceAsync(env);
        await RunOnceAsync(env);

        var changes = Lines(auditPath).Where(e => e.GetProperty("event").GetString() == "config_changed")
            .Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(2, changes.Count);
        Assert.False(changes[0].TryGetProperty("old_sha256", out _), "the first start has no old hash (null fields are left out)");
        Assert.Equal(first, changes[0].GetProperty("new_sha256").GetString());
        Assert.Equal(first, changes[1].GetProperty("old_sha256").GetString());
        Assert.Equal(Sha256(config), changes[1].GetProperty("new_sha256").GetString());
        Assert.Equal(config, changes[1].GetProperty("path").GetString());
        Assert.Equal("startup", changes[1].GetProperty("method").GetString());
    }

    // Start, then stop gracefully: shutdown drains the audit queue, so the file is complete afterwards.
    private static async Task RunOnceAsync(Dictionary<string, string?> env)
    {
        await using var gateway = await RunningGateway.StartAsync(env);
        Assert.Equal(0, await gateway.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    private static List<JsonElement> Lines(string path) =>
        File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
