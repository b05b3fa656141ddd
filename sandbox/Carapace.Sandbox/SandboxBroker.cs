using System.Text;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Linux;
using Carapace.Sandbox.MacOS;
using Carapace.Sandbox.Policy;
using Carapace.Sandbox.Running;
using Carapace.Sandbox.Windows;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Carapace.Sandbox;

/// <summary>Outcome of the start-up self-test (a confined probe must fail to read a canary file).</summary>
public sealed record SandboxSelfTest(string Status, string Detail, TimeSpan Duration)
{
    public const string PassedStatus = "passed";
    public const string FailedStatus = "failed";

    public bool Passed => Status == PassedStatus;
}

/// <summary>
/// Picks the backend for this OS, runs the self-test once, and then runs each request confined or
/// refuses it with a specific reason (fail closed; never retried unconfined).
/// </summary>
public sealed class SandboxBroker : ISandboxBroker, IAsyncDisposable, IDisposable
{
    private readonly ISandboxBackend? _backend;
    private readonly SandboxPlatform _platform;
    private readonly ScratchDirectories _scratch;
    private readonly ISandboxEventSink _events;
    private readonly ILogger _logger;
    private readonly Lock _selfTestLock = new();
    private Task<SandboxSelfTest>? _selfTest;
    private int _disposed;

    public SandboxBroker(IOptions<SandboxOptions> options, ISandboxEventSink events, ILogger<SandboxBroker> logger)
        : this(options.Value, events, logger, SandboxPlatform.Current)
    {
    }

    internal SandboxBroker(SandboxOptions options, ISandboxEventSink? events, ILogger? logger, SandboxPlatform platform)
    {
        _platform = platform;
        _events = events ?? NullSandboxEventSink.Instance;
        _logger = logger ?? NullLogger.Instance;
        _scratch = new ScratchDirectories(options.ScratchRoot);
        _backend = platform.Os switch
        {
            SandboxOs.Linux => new LinuxLandlockBackend(options, platform, _scratch),
            SandboxOs.MacOS => new MacSeatbeltBackend(options, platform, _scratch),
            SandboxOs.Windows => new WindowsJobBackend(options, platform, _scratch),
            _ => null,
        };
    }

    /// <summary>What this machine enforces; null when no backend exists for the OS.</summary>
    public SandboxBackendStatus? BackendStatus => _backend?.Status;

    public SandboxOs Os => _platform.Os;

    public string UnsupportedReason => $"no sandbox backend exists for this operating system ({SandboxPlatform.Describe(_platform.Os)}); sandbox-required runs are refused";

    public async Task<SandboxResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        RequestValidator.Validate(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_backend is null)
        {
            throw Refuse(request, new SandboxUnsupportedException(UnsupportedReason));
        }

        if (_backend.RefusalFor(request) is { } refusal)
        {
            throw Refuse(request, new SandboxUnavailableException(refusal));
        }

        var selfTest = await EnsureSelfTestAsync(cancellationToken);
        if (!selfTest.Passed)
        {
            throw Refuse(request, new SandboxUnavailableException("sandbox self-test failed: " + selfTest.Detail));
        }

        BackendRun run;
        try
        {
            run = await _backend.RunAsync(request, cancellationToken);
        }
        catch (SandboxUnavailableException e)
        {
            throw Refuse(request, e);
        }
        catch (Exception e) when (e is not InvalidSandboxRequestException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Scratch directory, uid reservation, ACLs, pipes ...: whatever broke, the run is refused and audited
            // like any other refusal, never retried unconfined and never surfaced as an unexplained crash.
            throw Refuse(request, new SandboxUnavailableException($"the sandbox could not be set up: {e.GetType().Name}: {e.Message}", e));
        }

        var r = run.Result;
        _events.RunCompleted(new SandboxRunSummary(request.Caller, request.Profile, request.Executable, run.ProcessId, run.RunUid, r.ExitCode, r.TimedOut, r.Duration));
        return r;
    }

    /// <summary>Runs the self-test once per broker (later calls get the cached outcome).</summary>
    public Task<SandboxSelfTest> EnsureSelfTestAsync(CancellationToken cancellationToken = default)
    {
        lock (_selfTestLock)
        {
            _selfTest ??= Task.Run(RunSelfTestAsync, CancellationToken.None);
        }

        return _selfTest.WaitAsync(cancellationToken);
    }

    private async Task<SandboxSelfTest> RunSelfTestAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (_backend is null)
        {
            return new SandboxSelfTest(SandboxSelfTest.FailedStatus, UnsupportedReason, clock.Elapsed);
        }

        if (!_backend.Status.Available)
        {
            return new SandboxSelfTest(SandboxSelfTest.FailedStatus, "not run: " + _backend.Status.UnavailableReason, clock.Elapsed);
        }

        string? dir = null;
        try
        {
            dir = _scratch.Create("selftest", null);
            var canary = Path.Combine(dir, "canary");
            var secret = "carapace-canary-" + Guid.NewGuid().ToString("N");
            await File.WriteAllTextAsync(canary, secret);
            if (!OperatingSystem.IsWindows())
            {
                // Readable by anyone as far as permissions go: only the sandbox may stop the probe.
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
                File.SetUnixFileMode(canary, (UnixFileMode)0b110_100_100);
            }

            var run = await _backend.RunAsync(_backend.SelfTestRequest(canary), CancellationToken.None);
            var output = Encoding.UTF8.GetString(run.Result.Stdout.Span) + Encoding.UTF8.GetString(run.Result.Stderr.Span);
            var probe = $"exit {run.Result.ExitCode}: {FirstLine(run.Result.StderrText)}";
            var result = output.Contains(secret, StringComparison.Ordinal) || run.Result.ExitCode == 0
                ? new SandboxSelfTest(SandboxSelfTest.FailedStatus, $"a confined probe read the canary file outside its roots (exit {run.Result.ExitCode})", clock.Elapsed)
                : !_backend.SelfTestDenied(run.Result)
                    // Any other failure (missing tool, crash, timeout) proves nothing about the confinement.
                    ? new SandboxSelfTest(SandboxSelfTest.FailedStatus, $"the confined probe failed, but not with a permission error ({probe})", clock.Elapsed)
                    : new SandboxSelfTest(SandboxSelfTest.PassedStatus, $"confined probe was denied the canary file ({probe})", clock.Elapsed);
            Log(result);
            return result;
        }
        catch (Exception e) when (e is SandboxUnavailableException or IOException or UnauthorizedAccessException or InvalidSandboxRequestException)
        {
            var result = new SandboxSelfTest(SandboxSelfTest.FailedStatus, e.Message, clock.Elapsed);
            Log(result);
            return result;
        }
        finally
        {
            if (dir is not null)
            {
                ScratchDirectories.Delete(dir);
            }
        }
    }

    private void Log(SandboxSelfTest result)
    {
        if (result.Passed)
        {
            _logger.LogInformation("Sandbox self-test passed in {Ms} ms: {Detail}", (int)result.Duration.TotalMilliseconds, result.Detail);
        }
        else
        {
            _logger.LogError("Sandbox self-test FAILED, every sandboxed run will be refused: {Detail}", result.Detail);
        }
    }

    private static string FirstLine(string s)
    {
        var line = s.Split('\n', 2)[0].Trim();
        return line.Length > 160 ? line[..160] : line;
    }

    private SandboxUnavailableException Refuse(SandboxRequest request, SandboxUnavailableException e)
    {
        _logger.LogWarning("Sandboxed run of {Executable} for {Caller} refused: {Reason}", request.Executable, request.Caller ?? "host", e.Reason);
        _events.RunRefused(new SandboxRefusal(request.Caller, request.Profile, request.Executable, e.Reason));
        return e;
    }

    /// <summary>Kills every live process group of this broker (host shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
