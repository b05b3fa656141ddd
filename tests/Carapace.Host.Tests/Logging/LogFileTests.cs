using Carapace.Host.Configuration;
using Carapace.Host.Gateway;
using Carapace.Host.Logging;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.Logging;

/// <summary>The real gateway's rolling log file and state directory, and the ring buffer's default size.</summary>
public sealed class LogFileTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerReadWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task Gateway_writes_the_startup_line_to_an_owner_only_log_file_in_a_0700_state_dir()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var logs = Path.Combine(gateway.StateDir, "logs");
        var startup = $"Carapace {CarapaceVersion.Current} starting";

        // The file sink is buffered and flushes every second, so each line may arrive in a later flush.
        string? file = null;
        await Poll.UntilAsync(() =>
        {
            file = Directory.Exists(logs) ? Directory.EnumerateFiles(logs, "carapace-*.log").SingleOrDefault() : null;
            var text = file is null ? "" : ReadShared(file);
            return text.Contains(startup, StringComparison.Ordinal) && text.Contains("Listening on http://127.0.0.1:", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(15), "the startup and listening lines in state/logs/carapace-*.log");

        Assert.Matches(@"carapace-\d{8}\.log$", file);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(file!));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(gateway.StateDir));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(logs));
    }

    [Fact]
    public async Task Gateway_creates_a_missing_state_dir_0700_even_under_a_permissive_umask_parent()
    {
        using var parent = new TempDirectory();
        File.SetUnixFileMode(parent.Path, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var state = Path.Combine(parent.Path, "nested", "state");

        await using var gateway = await GatewayFixture.StartAsync(stateDirOverride: state);

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(state));
    }

    [Fact]
    public async Task Ring_buffer_holds_1000_entries_by_default()
    {
        var settings = LoggingSettings.Read(new SettingsReader(CarapaceConfigLoader.LoadFromText(null, null, null, _ => null)));
        await using var gateway = await GatewayFixture.StartAsync();

        Assert.Equal(1000, settings.RingBufferSize);
        Assert.Equal(1000, gateway.Logs.Capacity);
        Assert.Equal(1000, new LogRingBuffer().Capacity);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
