namespace Carapace.Sandbox;

/// <summary>
/// The full, host-internal policy of one confined run. Plugins never build this: <see cref="PluginSandbox"/>
/// derives it from an operator-defined profile. Everything not granted here is denied.
/// </summary>
public sealed record SandboxRequest
{
    /// <summary>Absolute path; after resolving symlinks it must lie inside a read-only or read-write root.</summary>
    public required string Executable { get; init; }

    /// <summary>argv[1..]; argv[0] is <see cref="Executable"/>.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Requested child variables; only names in <see cref="EnvironmentAllowlist"/> pass, and never a denied name.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlySet<string> EnvironmentAllowlist { get; init; } = new HashSet<string>();

    /// <summary>Names copied from the broker's own environment (still scrubbed), e.g. TZ.</summary>
    public IReadOnlyList<string> InheritEnvironment { get; init; } = [];

    /// <summary>Absolute working directory; defaults to the run's private scratch directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Directories (or files) the child may read and execute.</summary>
    public IReadOnlyList<string> ReadOnlyRoots { get; init; } = [];

    /// <summary>Directories (or files) the child may read, write, create in and delete from. The scratch dir is always added.</summary>
    public IReadOnlyList<string> ReadWriteRoots { get; init; } = [];

    public SandboxNetwork Network { get; init; } = SandboxNetwork.None;

    public SandboxLimits Limits { get; init; } = new();

    /// <summary>Wall-clock limit; the whole process group is killed when it passes (exit code 124).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bytes of stdout kept; the rest is drained and dropped, and the result says so.</summary>
    public int StdoutCapBytes { get; init; } = 1024 * 1024;

    public int StderrCapBytes { get; init; } = 1024 * 1024;

    /// <summary>Written to the child's stdin, which is then closed.</summary>
    public ReadOnlyMemory<byte> Stdin { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>Who asked (for audit), e.g. <c>plugin:shell</c>.</summary>
    public string? Caller { get; init; }

    /// <summary>The profile the request came from (for audit).</summary>
    public string? Profile { get; init; }
}

public enum SandboxNetworkMode
{
    /// <summary>No network at all: no TCP (Landlock), no other socket family than AF_UNIX (seccomp).</summary>
    None,

    /// <summary>TCP connect to the listed ports only (any address); no bind, no UDP, no raw sockets.</summary>
    TcpConnectPorts,
}

public sealed record SandboxNetwork(SandboxNetworkMode Mode, IReadOnlyList<int> ConnectPorts)
{
    public static SandboxNetwork None { get; } = new(SandboxNetworkMode.None, []);

    public static SandboxNetwork TcpConnect(params int[] ports) => new(SandboxNetworkMode.TcpConnectPorts, ports);
}

/// <summary>Resource limits, applied with soft = hard so the child cannot raise them. Null = not set.</summary>
public sealed record SandboxLimits
{
    public int? CpuSeconds { get; init; } = 10;

    /// <summary>Off unless set: a low address-space limit kills .NET, JVM and V8 children at start.</summary>
    public long? AddressSpaceBytes { get; init; }

    public int? OpenFiles { get; init; } = 256;

    /// <summary>Processes (threads count too) of the run; see docs/sandbox.md for the per-run uid that makes it per run.</summary>
    public int? Processes { get; init; } = 64;

    public long? FileSizeBytes { get; init; } = 64L * 1024 * 1024;
}
