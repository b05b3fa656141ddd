namespace Carapace.Sandbox.Configuration;

/// <summary>The <c>sandbox</c> configuration section (YAML <c>sandbox.*</c>, camelCase keys; docs/sandbox.md).</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "sandbox";

    /// <summary>Named profiles (<c>sandbox.profiles.&lt;name&gt;</c>). <c>default</c> is built in unless overridden.</summary>
    public Dictionary<string, SandboxProfileOptions> Profiles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Explicit launcher: the native binary, or <c>carapace-sandbox-exec.dll</c> for the framework-dependent
    /// build. Default: <c>&lt;app dir&gt;/carapace-sandbox-exec/</c> as staged by the build.
    /// </summary>
    public string? LauncherPath { get; set; }

    /// <summary>Parent of the per-run scratch directories. Default: <c>$TMPDIR/carapace-sandbox-&lt;uid&gt;</c>.</summary>
    public string? ScratchRoot { get; set; }

    /// <summary>
    /// When the broker runs as root, each run gets its own unprivileged uid/gid from
    /// [<see cref="RunUidBase"/>, +<see cref="RunUidCount"/>): RLIMIT_NPROC is never enforced for uid 0 and
    /// a per-run uid makes the process limit count that run only.
    /// </summary>
    public bool SwitchUserWhenRoot { get; set; } = true;

    public uint RunUidBase { get; set; } = 0x70000000;

    public uint RunUidCount { get; set; } = 65536;
}

/// <summary>One named profile (<c>sandbox.profiles.&lt;name&gt;</c>).</summary>
public sealed class SandboxProfileOptions
{
    /// <summary>Adds /usr /lib /lib64 /bin /sbin /etc (those present) read-only.</summary>
    public bool IncludeSystemRoots { get; set; } = true;

    public List<string> ReadOnlyRoots { get; set; } = [];

    public List<string> ReadWriteRoots { get; set; } = [];

    /// <summary><c>none</c> or <c>ports</c> (TCP connect to <see cref="ConnectPorts"/>).</summary>
    public string Network { get; set; } = "none";

    public List<int> ConnectPorts { get; set; } = [];

    public int? CpuSeconds { get; set; } = 10;

    /// <summary>Off unless set.</summary>
    public long? AddressSpaceMb { get; set; }

    public int? OpenFiles { get; set; } = 256;

    public int? Processes { get; set; } = 64;

    public long? FileSizeMb { get; set; } = 64;

    public double TimeoutSeconds { get; set; } = 10;

    public int StdoutMaxBytes { get; set; } = 1024 * 1024;

    public int StderrMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>Variables a caller may set for the child (secrets, LD_*, DOTNET_* are dropped regardless).</summary>
    public List<string> EnvAllowlist { get; set; } = [];

    /// <summary>Variables copied from the host's environment (same scrubbing).</summary>
    public List<string> InheritEnv { get; set; } = [];
}
