namespace Carapace.Sandbox.Exec.Protocol;

// The wire contract between the broker and the launcher. This file is compiled into both assemblies
// (the broker links it) so the two sides cannot drift apart.

/// <summary>Everything the launcher needs to confine itself and exec the target.</summary>
internal sealed class LaunchSpec
{
    /// <summary>2: the binary frame of <see cref="LaunchSpecCodec"/> (1 was JSON).</summary>
    public const int CurrentVersion = 2;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>Absolute path of the program to execve.</summary>
    public string Executable { get; set; } = "";

    /// <summary>The complete argv, argv[0] included.</summary>
    public List<string> Argv { get; set; } = [];

    /// <summary>The complete envp as NAME=value entries; the launcher passes exactly these.</summary>
    public List<string> Env { get; set; } = [];

    public string WorkingDirectory { get; set; } = "";

    /// <summary>Directories or files granted read + execute.</summary>
    public List<string> ReadOnlyRoots { get; set; } = [];

    /// <summary>Directories or files granted every filesystem right the ABI knows.</summary>
    public List<string> ReadWriteRoots { get; set; } = [];

    /// <summary>Character devices granted read + write (/dev/null and friends).</summary>
    public List<string> DeviceFiles { get; set; } = [];

    /// <summary><c>none</c> or <c>ports</c> (TCP connect to <see cref="ConnectPorts"/> only).</summary>
    public string Network { get; set; } = NetworkModes.None;

    public List<int> ConnectPorts { get; set; } = [];

    public LaunchLimits Limits { get; set; } = new();

    /// <summary>When the launcher starts as root it switches to this uid/gid (per-run, unprivileged).</summary>
    public uint? RunAsUid { get; set; }

    public uint? RunAsGid { get; set; }
}

internal sealed class LaunchLimits
{
    public long? CpuSeconds { get; set; }
    public long? AddressSpaceBytes { get; set; }
    public long? OpenFiles { get; set; }
    public long? Processes { get; set; }
    public long? FileSizeBytes { get; set; }
}

internal static class NetworkModes
{
    public const string None = "none";
    public const string Ports = "ports";
}

/// <summary>
/// What the launcher prints on stderr (after <see cref="LauncherWire.FailurePrefix"/>) before exiting 125:
/// one camelCase JSON object. The launcher writes it by hand (FailureLine) so it links no serializer; the
/// broker reads it with System.Text.Json (LaunchFailureJson).
/// </summary>
internal sealed class LaunchFailure
{
    public string Step { get; set; } = "";
    public int Errno { get; set; }
    public string Message { get; set; } = "";
}

internal static class LauncherWire
{
    /// <summary>Exit code for any failure to confine; the target never ran.</summary>
    public const int SandboxFailureExitCode = 125;

    /// <summary>Upper bound for the spec frame; larger frames are refused.</summary>
    public const int MaxFrameBytes = 4 * 1024 * 1024;

    /// <summary>Prefix of the single structured failure line on stderr.</summary>
    public const string FailurePrefix = "carapace-sandbox-exec: failure ";

    /// <summary>
    /// Written to stdout once every restriction is in place, immediately before execve. Its absence
    /// tells the broker the target never ran confined, whatever exit code the process reports.
    /// </summary>
    public const byte ConfinedMarker = 0x06;
}
