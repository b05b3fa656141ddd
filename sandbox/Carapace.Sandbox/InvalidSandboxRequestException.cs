namespace Carapace.Sandbox;

/// <summary>The request is malformed (relative path, executable outside every root, bad port ...). Nothing ran.</summary>
public sealed class InvalidSandboxRequestException : ArgumentException
{
    public InvalidSandboxRequestException(string message) : base(message) { }

    public InvalidSandboxRequestException() { }

    public InvalidSandboxRequestException(string message, Exception innerException) : base(message, innerException) { }
}
