using System.Runtime.InteropServices;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Backends;

public enum SandboxOs
{
    Linux,
    MacOS,
    Windows,
    Other,
}

/// <summary>
/// What the broker believes about the machine. Production uses <see cref="Current"/>; tests replace
/// parts of it to force an unsupported OS or a lower Landlock ABI (the fail-closed seams).
/// </summary>
internal sealed class SandboxPlatform
{
    public SandboxOs Os { get; init; } = DetectOs();

    public Func<LandlockStatus> ProbeLandlock { get; init; } = LandlockStatus.Probe;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The Win32 side of the Windows backend; null = the real one on Windows, none elsewhere (tests inject a fake).</summary>
    public Windows.IWindowsSandboxHost? WindowsHost { get; init; }

    /// <summary>Where per-run uids are reserved (Linux, root); tests point it at a private directory.</summary>
    public string RunUidDirectory { get; init; } = RunUidPool.DefaultDirectory;

    public static SandboxPlatform Current { get; } = new();

    public static SandboxOs DetectOs() =>
        OperatingSystem.IsLinux() ? SandboxOs.Linux
        : OperatingSystem.IsMacOS() ? SandboxOs.MacOS
        : OperatingSystem.IsWindows() ? SandboxOs.Windows
        : SandboxOs.Other;

    public static string Describe(SandboxOs os) => os switch
    {
        SandboxOs.Linux => "linux",
        SandboxOs.MacOS => "macos",
        SandboxOs.Windows => "windows",
        _ => RuntimeInformation.OSDescription,
    };
}
