namespace Carapace.Plugins.Packaging;

/// <summary>Fixed names inside a package (see docs/plugin-packages.md).</summary>
internal static class PackageLayout
{
    /// <summary>The plugin manifest; required at the package root.</summary>
    public const string ManifestFileName = "plugin.yaml";

    /// <summary>
    /// The detached signature; optional, at the package root. It is the only file excluded from the
    /// content digest, because it signs that digest.
    /// </summary>
    public const string SignatureFileName = "plugin.sig";
}
