namespace Carapace.Plugins.Manifest;

/// <summary>
/// Capabilities a plugin requests in <c>plugin.yaml</c>. Host services check them on every call;
/// nothing here is granted implicitly.
/// </summary>
/// <param name="Http">Outbound URL patterns (for <c>IPluginHttp</c>).</param>
/// <param name="Credentials">Access to secrets scoped to <c>plugin:&lt;id&gt;:</c>.</param>
/// <param name="SubprocessProfiles">Sandbox profiles the plugin may run subprocesses under.</param>
/// <param name="Filesystem">Filesystem roots the plugin asks to use.</param>
internal sealed record PluginCapabilities(
    IReadOnlyList<string> Http,
    bool Credentials,
    IReadOnlyList<string> SubprocessProfiles,
    IReadOnlyList<string> Filesystem)
{
    public static PluginCapabilities None { get; } = new([], false, [], []);
}
