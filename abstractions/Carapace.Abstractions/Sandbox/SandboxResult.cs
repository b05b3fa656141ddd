using System.Text;

namespace Carapace.Abstractions.Sandbox;

/// <summary>The outcome of a confined run.</summary>
/// <param name="ExitCode">Exit code; 128+n when killed by signal n; 124 on timeout.</param>
/// <param name="Stdout">Captured stdout, at most the profile's cap.</param>
/// <param name="Stderr">Captured stderr, at most the profile's cap.</param>
/// <param name="StdoutTruncated">More stdout was produced than captured.</param>
/// <param name="StderrTruncated">More stderr was produced than captured.</param>
/// <param name="TimedOut">The wall-clock limit killed the process group.</param>
/// <param name="Duration">Wall-clock time of the run.</param>
public sealed record SandboxResult(
    int ExitCode,
    ReadOnlyMemory<byte> Stdout,
    ReadOnlyMemory<byte> Stderr,
    bool StdoutTruncated,
    bool StderrTruncated,
    bool TimedOut,
    TimeSpan Duration)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout.Span);
    public string StderrText => Encoding.UTF8.GetString(Stderr.Span);
}
