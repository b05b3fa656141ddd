using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Carapace.Cli.Tests.Infrastructure;

/// <summary>Runs the real `cara` executable built next to the tests, with a controlled environment.</summary>
internal static partial class CaraProcess
{
    public static string Executable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "cara.exe" : "cara");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string?> env, string? executable = null)
    {
        var info = new ProcessStartInfo(executable ?? Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing of the developer's own Carapace setup may leak into a test.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CARAPACE_", StringComparison.Ordinal) || k == "XDG_CONFIG_HOME").ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    /// <summary>An environment whose state dir and home are inside <paramref name="dir"/>.</summary>
    public static Dictionary<string, string?> IsolatedEnvironment(Carapace.Testing.TempDirectory dir) => new()
    {
        ["CARAPACE_STATE_DIR"] = Path.Combine(dir.Path, "state"),
        ["HOME"] = dir.Path,
    };

    public static async Task<CaraResult> RunAsync(IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        using var process = Process.Start(StartInfo(args, env))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CaraResult(process.ExitCode, await stdout, await stderr);
    }

    public static void SendSignal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public const int SIGTERM = 15;
    public const int SIGKILL = 9;
    public const int SIGINT = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>What a finished `cara` run printed and returned.</summary>
internal sealed record CaraResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
