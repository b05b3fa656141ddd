using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Infrastructure;

/// <summary>A real `cara start` process on a free port, with its own state directory.</summary>
internal sealed partial class RunningGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TempDirectory _dir;

    private RunningGateway(Process process, TempDirectory dir, Dictionary<string, string?> env)
    {
        _process = process;
        _dir = dir;
        Environment = env;
    }

    public int Port { get; private set; }
    public Dictionary<string, string?> Environment { get; }
    public string Home => _dir.Path;
    public string StateDir => Path.Combine(_dir.Path, "state");
    public int Pid => _process.Id;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Environment for client verbs talking to this gateway.</summary>
    public Dictionary<string, string?> ClientEnvironment(string? token = null)
    {
        var env = new Dictionary<string, string?>(Environment);
        env.Remove("CARAPACE_GATEWAY_TOKEN");
        if (token is not null)
        {
            env["CARAPACE_GATEWAY_TOKEN"] = token;
        }

        return env;
    }

    public static Task<RunningGateway> StartAsync(IDictionary<string, string?>? env = null, params string[] extraArgs) =>
        StartCoreAsync(env, defaultInterrupt: false, extraArgs);

    /// <summary>Starts another `cara` build (e.g. a published one) the same way.</summary>
    public static Task<RunningGateway> StartExecutableAsync(string executable, IDictionary<string, string?>? env = null) =>
        StartCoreAsync(env, defaultInterrupt: false, [], executable);

    /// <summary>
    /// Like <see cref="StartAsync"/>, with SIGINT reset to its default disposition first (GNU
    /// <c>env --default-signal</c>): a test runner started in the background passes SIGINT on as
    /// ignored, and the .NET runtime then leaves Ctrl-C alone, as a shell's background job would.
    /// </summary>
    public static Task<RunningGateway> StartWithCtrlCAsync(IDictionary<string, string?>? env = null) =>
        StartCoreAsync(env, defaultInterrupt: true, [], null);

    private static async Task<RunningGateway> StartCoreAsync(IDictionary<string, string?>? env, bool defaultInterrupt, string[] extraArgs,
        string? executable = null)
    {
        var dir = new TempDirectory();
        // A caller's own state dir and home win (e.g. a credential store prepared beforehand).
        var environment = new Dictionary<string, string?>(env ?? new Dictionary<string, string?>());
        environment.TryAdd("CARAPACE_STATE_DIR", Path.Combine(dir.Path, "state"));
        environment.TryAdd("HOME", dir.Path);
        var info = CaraProcess.StartInfo(["start", "--port", "0", .. extraArgs], environment, executable);
        if (defaultInterrupt)
        {
            info.ArgumentList.Insert(0, info.FileName);
            info.ArgumentList.Insert(0, "--default-signal=INT");
            info.FileName = "/usr/bin/env";
        }

        var process = Process.Start(info)!;
        var gateway = new RunningGateway(process, dir, environment);
        process.OutputDataReceived += (_, e) => Append(gateway._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(gateway._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Logs go to stdout, or to stderr with --console (stdout then belongs to the console channel).
        await Poll.UntilAsync(() => process.HasExited || Listening().IsMatch(gateway.Stdout + gateway.Stderr), TimeSpan.FromSeconds(60), "cara start to listen");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"cara start exited with {process.ExitCode}:\n{gateway.Stdout}\n{gateway.Stderr}");
        }

        gateway.Port = int.Parse(Listening().Match(gateway.Stdout + gateway.Stderr).Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        return gateway;
    }

    public Task<CaraResult> CaraAsync(string? token, params string[] args) =>
        CaraProcess.RunAsync(ClientEnvironment(token), [.. args, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>Types a line on the gateway's stdin (the console channel reads it with --console).</summary>
    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Sends SIGTERM (or <paramref name="signal"/>, e.g. SIGINT for Ctrl-C) and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout, int signal = CaraProcess.SIGTERM)
    {
        CaraProcess.SendSignal(_process.Id, signal);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>kill -9: no shutdown code runs (a crash); waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        CaraProcess.SendSignal(_process.Id, CaraProcess.SIGKILL);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.AppendLine(line);
        }
    }

    // Any bind address (a test may bind beyond loopback); clients still connect through 127.0.0.1.
    [GeneratedRegex(@"Listening on https?://(?:\d+(?:\.\d+){3}|\[[0-9a-fA-F:]+\]):(?<port>\d+)")]
    private static partial Regex Listening();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _dir.Dispose();
    }
}
