namespace Carapace.Abstractions.Sandbox;

/// <summary>What a plugin asks to run.</summary>
/// <param name="Profile">A sandbox profile granted to the plugin (<c>sandbox.profiles.&lt;name&gt;</c>).</param>
/// <param name="Executable">Absolute path; must lie inside one of the profile's roots.</param>
/// <param name="Arguments">argv[1..].</param>
public sealed record SandboxCommand(string Profile, string Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>Environment for the child; names outside the profile's allowlist are dropped.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory; defaults to the run's private scratch directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Bytes written to the child's stdin, then closed.</summary>
    public ReadOnlyMemory<byte> Stdin { get; init; } = ReadOnlyMemory<byte>.Empty;

    /// <summary>Wall-clock limit; the profile's limit applies when unset or larger.</summary>
    public TimeSpan? Timeout { get; init; }
}
