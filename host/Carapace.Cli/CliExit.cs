namespace Carapace.Cli;

/// <summary>Exit codes of `cara`: scripts may rely on them.</summary>
internal static class CliExit
{
    public const int Ok = 0;

    /// <summary>The operation failed (gateway down, refused, not found, unauthorized).</summary>
    public const int Failure = 1;

    /// <summary>The configuration is invalid.</summary>
    public const int ConfigError = 2;

    /// <summary>A flag is invalid (e.g. <c>--port 99999</c>); the same code as a configuration error.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// A check could not run at all (gateway down, unauthorized, an unreadable answer), as opposed to
    /// <see cref="Failure"/> when it ran and found problems (<c>cara plugins doctor</c>).
    /// </summary>
    public const int CheckUnavailable = 3;
}
