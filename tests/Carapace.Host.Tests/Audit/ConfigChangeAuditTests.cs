using System.Security.Cryptography;
using Carapace.Host.Audit;
using Carapace.Host.Configuration;
using Carapace.Host.Tests.Credentials.Support;
using Carapace.Storage;
using Carapace.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Carapace.Host.Tests.Audit;

/// <summary>config_changed at gateway start: the configuration file compared with the one the previous start ran.</summary>
public sealed class ConfigChangeAuditTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingAuditLog _audit = new();

    private StateDirectory State => new(Path.Combine(_dir.Path, "state"));

    private string ConfigPath => Path.Combine(_dir.Path, "carapace.yaml");

    [Fact]
    public void The_first_start_is_audited_with_no_old_hash_and_an_unchanged_file_is_not_audited_again()
    {
        File.WriteAllText(ConfigPath, "gateway:\n  port: 18789\n");

        Start();
        Start();

        var change = Assert.Single(_audit.Named(AuditEvents.ConfigChanged));
        Assert.Equal(ConfigPath, change["path"]);
        Assert.Null(change["old_sha256"]);
        Assert.Equal(Sha256(ConfigPath), change["new_sha256"]);
        Assert.Equal("startup", change["method"]);
    }

    [Fact]
    public void An_edit_between_starts_is_audited_with_both_hashes_and_never_the_content()
    {
        File.WriteAllText(ConfigPath, "gateway:\n  auth:\n    token: first-secret\n");
        Start();
        var before = Sha256(ConfigPath);
        File.WriteAllText(ConfigPath, "gateway:\n  auth:\n    token: second-secret\n");

        Start();

        var change = _audit.Named(AuditEvents.ConfigChanged).Last();
        Assert.Equal(before, change["old_sha256"]);
        Assert.Equal(Sha256(ConfigPath), change["new_sha256"]);
        Assert.NotEqual(before, change["new_sha256"]);
        Assert.Null(change["old_path"]);
        Assert.DoesNotContain("secret", _audit.AllText().Replace("sha256", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_the_file_is_a_change_and_defaults_only_from_the_start_is_not()
    {
        Start();
        Assert.Empty(_audit.Named(AuditEvents.ConfigChanged));

        File.WriteAllText(ConfigPath, "logging:\n  level: Debug\n");
        Start();
        File.Delete(ConfigPath);
        Start();

        var removed = _audit.Named(AuditEvents.ConfigChanged).Last();
        Assert.Equal(2, _audit.Named(AuditEvents.ConfigChanged).Count());
        Assert.Equal(ConfigPath, removed["path"]);
        Assert.NotNull(removed["old_sha256"]);
        Assert.Null(removed["new_sha256"]);
    }

    [Fact]
    public void A_damaged_or_deleted_record_cannot_hide_a_change()
    {
        File.WriteAllText(ConfigPath, "gateway:\n  port: 1\n");
        Start();
        var record = Path.Combine(State.Root, ConfigChangeAudit.FingerprintFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(record));
        File.WriteAllText(record, "{not json");
        File.WriteAllText(ConfigPath, "gateway:\n  port: 2\n");

        Start();

        var change = _audit.Named(AuditEvents.ConfigChanged).Last();
        Assert.Equal(2, _audit.Named(AuditEvents.ConfigChanged).Count());
        Assert.Null(change["old_sha256"]);
        Assert.Equal(Sha256(ConfigPath), change["new_sha256"]);
    }

    // The file is used when it exists; otherwise the built-in defaults apply, as for `cara start`.
    private void Start()
    {
        var state = State;
        state.EnsureCreated();
        var config = CarapaceConfigLoader.Load(new ConfigLocation(ConfigPath, Explicit: false, "test"), _ => null);
        ConfigChangeAudit.AtStartup(_audit, state, config, NullLogger.Instance);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose() => _dir.Dispose();
}
