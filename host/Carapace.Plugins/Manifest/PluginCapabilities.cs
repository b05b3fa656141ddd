namespace Carapace.Plugins.Manifest;

/// <summary>
/// Capabilities a plugin requests in <c>plugin.yaml</c>. Host services check them on every call;
/// nothing here is granted implicitly.
/// </summary>
/// <param name="Http">Outbound URL patterns (for <c>IPluginHttp</c>).</param>
/// <param name="Credentials">Access to secrets scoped to <c>plugin:&lt;id&gt;:</c>.</param>
/// <param name="SubprocessProfiles">Sandbox profiles the plugin may run subprocesses under.</param>
/// <param name="Filesystem">Filesystem roots the plugin asks to use.</param>
/// <param name="Channels">
/// Channel ids the plugin may send through with <c>IChannelOutbox</c> (<c>*</c>: any channel, never
/// granted implicitly). A channel plugin needs no entry to reply on the channels it provides itself.
/// </param>
internal sealed record PluginCapabilities(
    IReadOnlyList<string> Http,
    bool Credentials,
    IReadOnlyList<string> SubprocessProfiles,
    IReadOnlyList<string> Filesystem,
    IReadOnlyList<string> Channels)
{
    /// <summary>The wildcard of <see cref="Channels"/>: every channel.</summary>
    public const string AnyChannel = "*";

    public static PluginCapabilities None { get; } = new([], false, [], [], []);
}
