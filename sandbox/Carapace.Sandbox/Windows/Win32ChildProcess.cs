using System.IO.Pipes;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Carapace.Sandbox.Windows;

/// <summary>A process created by <see cref="Win32SandboxHost"/>, with its job and the parent's pipe ends.</summary>
[SupportedOSPlatform("windows")]
internal sealed class Win32ChildProcess : IWindowsChild
{
    /// <summary>What TerminateJobObject hands every process of the job (128 + SIGKILL, as on Unix).</summary>
    public const uint KilledExitCode = 137;

    private readonly SafeJobHandle _job;
    private readonly SafeProcessHandle _process;
    private readonly AnonymousPipeServerStream _stdin;
    private readonly AnonymousPipeServerStream _stdout;
    private readonly AnonymousPipeServerStream _stderr;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ExitWaitHandle _wait;
    private readonly RegisteredWaitHandle _registration;

    public Win32ChildProcess(SafeJobHandle job, SafeProcessHandle process, int id,
        AnonymousPipeServerStream stdin, AnonymousPipeServerStream stdout, AnonymousPipeServerStream stderr)
    {
        _job = job;
        _process = process;
        Id = id;
        _stdin = stdin;
        _stdout = stdout;
        _stderr = stderr;
        _wait = new ExitWaitHandle(process);
        _registration = ThreadPool.RegisterWaitForSingleObject(_wait, static (state, _) => ((TaskCompletionSource)state!).TrySetResult(), _exited, Timeout.Infinite, executeOnlyOnce: true);
    }

    public int Id { get; }

    public Stream StandardInput => _stdin;

    public Stream StandardOutput => _stdout;

    public Stream StandardError => _stderr;

    public int ExitCode => WindowsNative.GetExitCodeProcess(_process, out var code) != 0 ? unchecked((int)code) : -1;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _exited.Task.WaitAsync(cancellationToken);

    public void TerminateJob() => _ = WindowsNative.TerminateJobObject(_job, KilledExitCode);

    public void Dispose()
    {
        _registration.Unregister(null);
        _wait.Dispose();
        _stdin.Dispose();
        _stdout.Dispose();
        _stderr.Dispose();
        _process.Dispose();
        _job.Dispose(); // KILL_ON_JOB_CLOSE: anything still in the job dies with the last handle
    }

    /// <summary>Waits on the process handle without owning it.</summary>
    private sealed class ExitWaitHandle : WaitHandle
    {
        public ExitWaitHandle(SafeProcessHandle process) =>
            SafeWaitHandle = new SafeWaitHandle(process.DangerousGetHandle(), ownsHandle: false);
    }
}
