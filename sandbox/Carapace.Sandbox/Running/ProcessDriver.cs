using System.Diagnostics;

namespace Carapace.Sandbox.Running;

/// <summary>The raw outcome of driving one confined process.</summary>
internal sealed record DrivenProcess(
    int ProcessId,
    int ExitCode,
    bool TimedOut,
    CappedOutput Stdout,
    CappedOutput Stderr,
    TimeSpan Duration);

/// <summary>
/// Starts a child, feeds stdin, drains capped stdout/stderr, enforces the wall clock and cancellation by
/// killing the whole run, and never leaves a member of the run alive. Every backend drives its children
/// through this one implementation (<see cref="IChildProcess"/> hides how they were started).
/// </summary>
internal static class ProcessDriver
{
    /// <summary>How long output may keep flowing after the main process exited and the run was killed.</summary>
    public static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <param name="start">Starts the child (throws <see cref="Abstractions.Sandbox.SandboxUnavailableException"/> when it cannot).</param>
    /// <param name="killGroup">Cheap kill of the run's process group or job; must be idempotent.</param>
    /// <param name="killEverything">Thorough kill (group, tree, per-run uid, job) for timeouts and stuck pipes.</param>
    public static async Task<DrivenProcess> RunAsync<TChild>(
        Func<TChild> start,
        ReadOnlyMemory<byte> stdinPreamble,
        SandboxRequest request,
        byte? stdoutMarker,
        Action<TChild> killGroup,
        Action<TChild> killEverything,
        LiveProcessRegistry registry,
        CancellationToken cancellationToken)
        where TChild : IChildProcess
    {
        var clock = Stopwatch.StartNew();
        using var child = start();
        var pid = child.Id;
        registry.Add(pid, () => killEverything(child));
        var finished = false;
        try
        {
            var stdout = new CappedOutput(child.StandardOutput, request.StdoutCapBytes, stdoutMarker);
            var stderr = new CappedOutput(child.StandardError, request.StderrCapBytes, null);
            using var drainCts = new CancellationTokenSource();
            var drains = Task.WhenAll(stdout.DrainAsync(drainCts.Token), stderr.DrainAsync(drainCts.Token));
            var feeding = FeedStdinAsync(child.StandardInput, stdinPreamble, request.Stdin);

            using var timeout = new CancellationTokenSource(request.Timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            var timedOut = false;
            try
            {
                await child.WaitForExitAsync(linked.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
                killEverything(child);
                await child.WaitForExitAsync(CancellationToken.None);
            }

            // The main process is gone; nothing it started may outlive the run.
            killGroup(child);
            if (await Task.WhenAny(drains, Task.Delay(DrainGrace, CancellationToken.None)) != drains)
            {
                killEverything(child);
                await drainCts.CancelAsync();
                child.StandardOutput.Dispose();
                child.StandardError.Dispose();
                await drains;
            }

            await feeding;
            finished = true;
            cancellationToken.ThrowIfCancellationRequested();
            var exit = timedOut ? 124 : child.ExitCode;
            return new DrivenProcess(pid, exit, timedOut, stdout, stderr, clock.Elapsed);
        }
        finally
        {
            if (!finished)
            {
                // Something failed while the child may still run: it never outlives the broker's attention.
                killEverything(child);
            }

            registry.Remove(pid);
        }
    }

    private static async Task FeedStdinAsync(Stream stdin, ReadOnlyMemory<byte> preamble, ReadOnlyMemory<byte> payload)
    {
        try
        {
            if (!preamble.IsEmpty)
            {
                await stdin.WriteAsync(preamble);
            }

            if (!payload.IsEmpty)
            {
                await stdin.WriteAsync(payload);
            }

            await stdin.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The child closed stdin or died; its exit status tells the story.
        }
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (IOException)
            {
                // Broken pipe on close.
            }
        }
    }
}
