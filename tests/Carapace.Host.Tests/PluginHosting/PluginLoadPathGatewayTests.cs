using System.Text.Json;
using Carapace.Host.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>A load path the runtime cannot use is a warning, never a gateway that does not start.</summary>
public sealed class PluginLoadPathGatewayTests
{
    private const string Token = "load-path-token";

    // As root, chmod cannot make a directory unreadable; some /proc directories still refuse to be listed.
    private static string? UnreadableDirectory()
    {
        foreach (var candidate in new[] { "/proc/1/map_files" })
        {
            try
            {
                _ = Directory.EnumerateDirectories(candidate).ToList();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                return candidate;
            }
        }

        return null;
    }

    [Fact]
    public async Task Load_paths_that_are_a_file_or_unreadable_are_warnings_and_the_gateway_runs_with_watch_on()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "not-a-directory");
        File.WriteAllText(file, "");
        var unreadable = UnreadableDirectory();
        var paths = unreadable is null ? $"[\"{file}\"]" : $"[\"{file}\", \"{unreadable}\"]";

        await using var gateway = await GatewayFixture.StartAsync(
            $"plugins:\n  watch: true\n  load:\n    paths: {paths}\n",
            new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true);
        using var client = gateway.Client(Token);

        var listed = JsonDocument.Parse(await client.GetStringAsync("/control/plugins")).RootElement;
        var warnings = listed.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains($"plugins:load:paths entry {file} is a file, not a directory; skipped", warnings);
        Assert.True(gateway.LogContains($"plugins:load:paths entry {file} is a file, not a directory"));
        if (unreadable is not null)
        {
            Assert.Contains(warnings, w => w.StartsWith($"plugins:load:paths entry {unreadable} cannot be read (", StringComparison.Ordinal));
        }

        // The bundled plugins loaded regardless.
        Assert.Contains(listed.GetProperty("plugins").EnumerateArray(),
            p => p.GetProperty("id").GetString() == "files" && p.GetProperty("state").GetString() == "active");
    }
}
