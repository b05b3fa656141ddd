namespace Carapace.Cli;

/// <summary>A failure with a message meant for the operator; printed to stderr, no stack trace.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode = CliExit.Failure) : base(message) => ExitCode = exitCode;

    public CliException() : this("failed") { }

    public CliException(string message, Exception innerException) : base(message, innerException) => ExitCode = CliExit.Failure;

    public int ExitCode { get; }
}
