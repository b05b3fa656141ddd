using System.Diagnostics;
using Carapace.Abstractions.Sandbox;

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
/// Starts a process with an empty environment, feeds stdin, drains capped stdout/stderr, enforces the
/// wall clock and cancellation by killing the whole group, and never leaves a member of the group alive.
/// </summary>
internal static class ProcessDriver
{
    /// <summary>How long output may keep flowing after the main process exited and the group was killed.</summary>
    public static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <param name="killGroup">Cheap kill of the run's process group; must be idempotent.</param>
    /// <param name="killEverything">Thorough kill (group, tree, per-run uid) for timeouts and stuck pipes.</param>
    public static async Task<DrivenProcess> RunAsync(
        ProcessStartInfo startInfo,
        ReadOnlyMemory<byte> stdinPreamble,
        SandboxRequest request,
        byte? stdoutMarker,
        Action<Process> killGroup,
        Action<Process> killEverything,
        LiveProcessRegistry registry,
        CancellationToken cancellationToken)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;

        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new SandboxUnavailableException($"could not start '{startInfo.FileName}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SandboxUnavailableException($"could not start the sandbox launcher '{startInfo.FileName}': {e.Message}", e);
        }

        using (process)
        {
            var pid = process.Id;
            registry.Add(pid, () => killEverything(process));
            try
            {
                var stdout = new CappedOutput(process.StandardOutput.BaseStream, request.StdoutCapBytes, stdoutMarker);
                var stderr = new CappedOutput(process.StandardError.BaseStream, request.StderrCapBytes, null);
                using var drainCts = new CancellationTokenSource();
                var drains = Task.WhenAll(stdout.DrainAsync(drainCts.Token), stderr.DrainAsync(drainCts.Token));
                var feeding = FeedStdinAsync(process.StandardInput.BaseStream, stdinPreamble, request.Stdin);

                using var timeout = new CancellationTokenSource(request.Timeout);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
                var timedOut = false;
                try
                {
                    await process.WaitForExitAsync(linked.Token);
                }
                catch (OperationCanceledException)
                {
                    timedOut = !cancellationToken.IsCancellationRequested;
                    killEverything(process);
                    await process.WaitForExitAsync(CancellationToken.None);
                }

                // The main process is gone; nothing it started may outlive the run.
                killGroup(process);
                if (await Task.WhenAny(drains, Task.Delay(DrainGrace, CancellationToken.None)) != drains)
                {
                    killEverything(process);
                    await drainCts.CancelAsync();
                    process.StandardOutput.BaseStream.Dispose();
                    process.StandardError.BaseStream.Dispose();
                    await drains;
                }

                await feeding;
                cancellationToken.ThrowIfCancellationRequested();
                var exit = timedOut ? 124 : process.ExitCode;
                return new DrivenProcess(pid, exit, timedOut, stdout, stderr, clock.Elapsed);
            }
            finally
            {
                registry.Remove(pid);
            }
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
