namespace Carapace.Sandbox.Running;

/// <summary>
/// A started child with piped stdio, whatever started it (System.Diagnostics.Process on Unix,
/// CreateProcessW inside a Job Object on Windows), so <see cref="ProcessDriver"/> has one drain,
/// timeout and kill implementation for every backend.
/// </summary>
internal interface IChildProcess : IDisposable
{
    int Id { get; }

    Stream StandardInput { get; }

    Stream StandardOutput { get; }

    Stream StandardError { get; }

    /// <summary>Valid once <see cref="WaitForExitAsync"/> completed.</summary>
    int ExitCode { get; }

    Task WaitForExitAsync(CancellationToken cancellationToken);
}
