using System.Security.Cryptography;
using System.Text.Json;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>config_changed at start, in the real audit.jsonl of real `cara start` processes (`cara config encrypt`'s is in ConfigEncryptTests).</summary>
public sealed class ConfigChangeProcessTests
{
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
