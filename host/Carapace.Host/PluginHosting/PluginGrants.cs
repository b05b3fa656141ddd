using Carapace.Host.Outbound;
using Carapace.Plugins.Manifest;
using Microsoft.Extensions.Configuration;

namespace Carapace.Host.PluginHosting;

/// <summary>
/// What a plugin is actually allowed. Its manifest says what it asks for; the operator grants under
/// <c>plugins.&lt;id&gt;.grants</c> (see docs/plugin-development.md, "Grants"):
/// <list type="bullet">
/// <item><c>http</c>: the operator's patterns, each of which must lie inside one the manifest asked for
/// (otherwise the plugin fails to load). Without an operator list, only manifest patterns naming a
/// specific host are granted: a wildcard host is never granted implicitly.</item>
/// <item><c>subprocess</c>: the operator's profile list, else the manifest's.</item>
/// <item><c>credentials</c>: only if the manifest asks, and the operator did not set it to false.</item>
/// </list>
/// </summary>
internal sealed record PluginGrants(IReadOnlyList<string> Http, bool Credentials, IReadOnlyList<string> SubprocessProfiles)
{
    /// <exception cref="InvalidOperationException">An operator http grant exceeds what the manifest requested.</exception>
    public static PluginGrants Resolve(string pluginId, PluginCapabilities requested, IConfiguration configuration)
    {
        var section = configuration.GetSection($"plugins:{pluginId}:grants");
        var credentials = requested.Credentials && !string.Equals(section["credentials"], "false", StringComparison.OrdinalIgnoreCase);
        var subprocess = List(section.GetSection("subprocess")) ?? requested.SubprocessProfiles;
        return new PluginGrants(HttpGrants(pluginId, requested.Http, List(section.GetSection("http"))), credentials, subprocess);
    }

    private static IReadOnlyList<string> HttpGrants(string pluginId, IReadOnlyList<string> requested, List<string>? granted)
    {
        var asked = requested.Select(UrlGrant.Parse).ToList();
        if (granted is null)
        {
            return asked.Where(g => !g.AnyHost && !g.AnySubdomain).Select(g => g.Pattern).ToList();
        }

        foreach (var pattern in granted)
        {
            var grant = UrlGrant.Parse(pattern);
            if (!asked.Any(a => a.Covers(grant)))
            {
                throw new InvalidOperationException(
                    $"plugins.{pluginId}.grants.http: '{pattern}' is outside what the plugin's manifest requests ({string.Join(", ", requested)})");
            }
        }

        return granted;
    }

    // Null when the operator did not configure the list (an explicit empty list revokes everything).
    private static List<string>? List(IConfigurationSection section) =>
        section.Exists() ? section.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList() : null;
}
