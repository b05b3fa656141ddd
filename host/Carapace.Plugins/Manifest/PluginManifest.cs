using System.Text.Json;

namespace Carapace.Plugins.Manifest;

/// <summary>A parsed, validated <c>plugin.yaml</c>.</summary>
internal sealed record PluginManifest
{
    public const string FileName = "plugin.yaml";

    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required Version TargetAbi { get; init; }

    /// <summary>Entry assembly file name, relative to <see cref="Directory"/>.</summary>
    public required string EntryAssembly { get; init; }

    public required PluginKind Kind { get; init; }
    public required PluginCapabilities Capabilities { get; init; }

    /// <summary>Optional allowlist of the assemblies the plugin ships (relative paths, canonicalised).</summary>
    public IReadOnlyList<string>? Assemblies { get; init; }

    /// <summary>Optional JSON Schema the plugin's configuration must satisfy before activation.</summary>
    public JsonElement? ConfigSchema { get; init; }

    /// <summary>
    /// Whether the plugin is activated when <c>plugins:&lt;id&gt;:enabled</c> is not set (default true).
    /// The console channel sets this to false: it only runs when the host asks for it.
    /// </summary>
    public bool EnabledByDefault { get; init; } = true;

    public string? Description { get; init; }

    /// <summary>Absolute, canonical folder that holds <c>plugin.yaml</c>.</summary>
    public required string Directory { get; init; }

    public string EntryAssemblyPath => Path.Combine(Directory, EntryAssembly);
}
