using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.Windows;

/// <summary>An AppContainer profile: its name and SID (S-1-15-2-…).</summary>
internal sealed record AppContainerIdentity(string Name, string Sid);

/// <summary>Everything CreateProcessW needs for one confined run, computed without touching Win32.</summary>
/// <param name="ApplicationName">The executable (lpApplicationName: no search path, no ambiguity).</param>
/// <param name="CommandLine">argv quoted by <see cref="WindowsCommandLine"/>.</param>
/// <param name="EnvironmentBlock">NAME=value\0…\0 from <see cref="WindowsEnvironmentBlock"/>.</param>
/// <param name="WorkingDirectory">The child's current directory.</param>
/// <param name="Limits">The Job Object limits.</param>
/// <param name="AppContainer">The AppContainer the process is created in (zero capabilities).</param>
internal sealed record WindowsLaunch(
    string ApplicationName,
    string CommandLine,
    string EnvironmentBlock,
    string WorkingDirectory,
    JobLimits Limits,
    AppContainerIdentity AppContainer);

/// <summary>A child inside its own Job Object.</summary>
internal interface IWindowsChild : IChildProcess
{
    /// <summary>TerminateJobObject: every process of the run, grandchildren included (idempotent).</summary>
    void TerminateJob();
}

/// <summary>
/// The Win32 side of the Windows backend, behind a seam so the backend's planning, refusals and driving
/// are unit-tested on Linux. Production: <see cref="Win32SandboxHost"/>. Every failure is a
/// <see cref="Abstractions.Sandbox.SandboxUnavailableException"/>.
/// </summary>
internal interface IWindowsSandboxHost
{
    /// <summary>Why this machine cannot run the backend (not Windows, older than Windows 10), or null.</summary>
    string? UnavailableReason { get; }

    /// <summary>System32, where the self-test's cmd.exe lives.</summary>
    string SystemDirectory { get; }

    /// <summary>Creates the AppContainer profile, or opens it when it exists.</summary>
    AppContainerIdentity EnsureAppContainer(string name, string displayName, string description);

    /// <summary>Grants the AppContainer read+execute (or modify) on a file or directory tree, unless it already has it.</summary>
    void GrantAccess(string path, AppContainerIdentity appContainer, bool write);

    /// <summary>CreateProcessW with the job, AppContainer and stdio handle list attached at creation.</summary>
    IWindowsChild Start(WindowsLaunch launch);
}
