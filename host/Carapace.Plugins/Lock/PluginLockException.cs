namespace Carapace.Plugins.Lock;

/// <summary>
/// <c>plugins-lock.yaml</c> exists but cannot be trusted: a syntax error, an unknown or missing key,
/// an invalid value. The message names the file, line and column. The lock is never silently reset:
/// an unreadable lock means the installed plugins cannot be verified, so the caller must stop.
/// </summary>
internal sealed class PluginLockException : Exception
{
    public const string Code = "plugins_lock_invalid";

    public PluginLockException(string path, long line, long column, string detail, Exception? innerException = null)
        : base($"{path}:{line}:{column}: {detail}", innerException)
    {
        FilePath = path;
        Line = line;
        Column = column;
        Detail = detail;
    }

    public PluginLockException() : this("plugins-lock.yaml", 0, 0, "invalid lock file") { }

    public PluginLockException(string message) : this("plugins-lock.yaml", 0, 0, message) { }

    public PluginLockException(string message, Exception innerException) : this("plugins-lock.yaml", 0, 0, message, innerException) { }

    public string FilePath { get; }
    public long Line { get; }
    public long Column { get; }
    public string Detail { get; }
}
