namespace Carapace.Plugins.Packaging;

/// <summary>
/// A package was refused. <see cref="Code"/> is one of <see cref="PackageErrorCodes"/>;
/// <see cref="EntryPath"/> names the offending entry when there is one. The message is meant for
/// the operator and never contains file contents.
/// </summary>
internal sealed class PackageException : Exception
{
    public PackageException(string code, string message, string? entryPath = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        EntryPath = entryPath;
    }

    public PackageException() : this(PackageErrorCodes.Malformed, "invalid package") { }

    public PackageException(string message) : this(PackageErrorCodes.Malformed, message) { }

    public PackageException(string message, Exception innerException)
        : this(PackageErrorCodes.Malformed, message, null, innerException) { }

    public string Code { get; }

    public string? EntryPath { get; }
}
