using System.Diagnostics;
using Carapace.Abstractions.Sandbox;

namespace Carapace.Sandbox.Running;

/// <summary>A child started with <see cref="System.Diagnostics.Process"/> (the Linux launcher, the macOS prologue).</summary>
internal sealed class DotNetChildProcess : IChildProcess
{
    private DotNetChildProcess(Process process) => Process = process;

    public Process Process { get; }

    public int Id => Process.Id;

    public Stream StandardInput => Process.StandardInput.BaseStream;

    public Stream StandardOutput => Process.StandardOutput.BaseStream;

    public Stream StandardError => Process.StandardError.BaseStream;

    public int ExitCode => Process.ExitCode;

    /// <summary>Starts <paramref name="startInfo"/> with all three streams piped; a start failure is a refusal.</summary>
    public static DotNetChildProcess Start(ProcessStartInfo startInfo)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        try
        {
            return new DotNetChildProcess(Process.Start(startInfo) ?? throw new SandboxUnavailableException($"could not start '{startInfo.FileName}'"));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SandboxUnavailableException($"could not start the sandbox launcher '{startInfo.FileName}': {e.Message}", e);
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => Process.WaitForExitAsync(cancellationToken);

    /// <summary>Kills the child and every descendant still attached to it (idempotent).</summary>
    public void KillTree()
    {
        try
        {
            Process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already exited.
        }
    }

    public void Dispose() => Process.Dispose();
}
