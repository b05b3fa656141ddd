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
            // A deadline against a hung publish, not a speed target: a Release publish on a shared, loaded
            // build machine (several builds at once) has taken more than five minutes.
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
    }
}
