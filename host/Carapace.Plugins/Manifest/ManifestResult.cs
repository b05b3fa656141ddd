namespace Carapace.Plugins.Manifest;

/// <summary>
/// Outcome of reading a manifest: either a manifest, or a reason. <see cref="Id"/> is the id the
/// manifest declared when it could be read, so a broken plugin still shows up under its own name.
/// </summary>
internal sealed record ManifestResult(PluginManifest? Manifest, string? Error, string? Id)
{
    public static ManifestResult Ok(PluginManifest manifest) => new(manifest, null, manifest.Id);

    public static ManifestResult Fail(string error, string? id) => new(null, error, id);
}
