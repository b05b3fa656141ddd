using System.Diagnostics;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>The README promises that `dotnet publish host/Carapace.Cli -c Release -o DIR` gives a runnable DIR/cara.</summary>
public sealed class PublishTests
{
    [Fact]
    public async Task Published_cara_runs_standalone()
    {
        using var dir = new TempDirectory();
        var output = Path.Combine(dir.Path, "out");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot.Path,
        };
        foreach (var arg in new[] { "publish", "host/Carapace.Cli", "-c", "Release", "-o", output, "--nologo", "-v", "q" })
        {
            info.ArgumentList.Add(arg);
        }

        using (var publish = Process.Start(info)!)
        {
            var log = publish.StandardOutput.ReadToEndAsync();
            var err = publish.StandardError.ReadToEndAsync();
            // The deadline only stops a hung publish; it is not a speed target. A full Release publish
            // (host, plugins, sandbox launcher) on a 2-core machine shared with other builds took over 5 min.
            await publish.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(20)).Token);
            Assert.True(publish.ExitCode == 0, await log + await err);
        }

        var cara = Path.Combine(output, "cara");
        Assert.True(File.Exists(cara));
        var run = Process.Start(new ProcessStartInfo(cara, "version") { RedirectStandardOutput = true })!;
        var stdout = await run.StandardOutput.ReadToEndAsync();
        await run.WaitForExitAsync();
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("cara 0.1.0", stdout, StringComparison.Ordinal);

        // The first-party plugins are published with it: plugins/<id>/ with the manifest and its entry assembly.
        foreach (var (id, entry) in new[]
                 {
                     ("console", "Carapace.Channels.Console.dll"), ("webhook", "Carapace.Channels.Webhook.dll"), ("files", "Carapace.Tools.Files.dll"),
                     ("http-fetch", "Carapace.Tools.HttpFetch.dll"), ("shell", "Carapace.Tools.Shell.dll"),
                 })
        {
            var folder = Path.Combine(output, "plugins", id);
            Assert.True(File.Exists(Path.Combine(folder, "plugin.yaml")), $"{folder}/plugin.yaml is missing");
            Assert.Contains($"id: {id}", await File.ReadAllTextAsync(Path.Combine(folder, "plugin.yaml")), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, entry)), $"{folder}/{entry} is missing");
            Assert.False(File.Exists(Path.Combine(folder, "Carapace.Abstractions.dll")), $"{id} must not ship the shared ABI");
        }

        // The published gateway itself starts with its embedded default config and loads those plugins.
        const string token = "publish-test-token";
        await using var gateway = await RunningGateway.StartExecutableAsync(cara, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = token });
        var status = await CaraProcess.RunAsync(gateway.ClientEnvironment(token), "plugins", "status", "--json",
            "--port", gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(status.ExitCode == 0, status.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(status.Stdout);
        var plugins = doc.RootElement.GetProperty("plugins").EnumerateArray().ToList();
        Assert.Contains(plugins, p => p.GetProperty("id").GetString() == "shell" && p.GetProperty("state").GetString() == "active");
        // Console is off by default (stdout is the log there); every other bundled plugin is active.
        Assert.All(plugins.Where(p => p.GetProperty("id").GetString() != "console"),
            p => Assert.Equal("active", p.GetProperty("state").GetString()));
    }
}
