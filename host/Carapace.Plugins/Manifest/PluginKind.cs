namespace Carapace.Plugins.Manifest;

/// <summary>What a plugin contributes, as declared by <c>kind</c> in <c>plugin.yaml</c>.</summary>
[Flags]
internal enum PluginKind
{
    None = 0,
    Channel = 1,
    Tool = 2,
}
