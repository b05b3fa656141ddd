namespace Carapace.Plugins.Manifest;

/// <summary>A <c>plugin.yaml</c> problem; <see cref="Exception.Message"/> is the user-facing reason.</summary>
internal sealed class ManifestException : Exception
{
    public ManifestException(string message) : base(message) { }

    public ManifestException(string message, Exception innerException) : base(message, innerException) { }

    public ManifestException() { }
}
