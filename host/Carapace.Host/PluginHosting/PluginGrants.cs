using Carapace.Host.Configuration;
using Carapace.Plugins.Manifest;
using Microsoft.Extensions.Configuration;

namespace Carapace.Host.PluginHosting;

/// <summary>
/// What a plugin is actually allowed, from what its manifest requests and what the operator says in
/// <c>plugins.&lt;id&gt;.grants</c>. The operator is the authority: a configured <c>http</c> or
/// <c>subprocess</c> list replaces the manifest's, and <c>credentials: false</c> revokes the store.
/// Nothing is granted that neither side names.
/// </summary>
internal sealed record PluginGrants(IReadOnlyList<string> Http, bool Credentials, IReadOnlyList<string> SubprocessProfiles)
{
    public static PluginGrants Resolve(string pluginId, PluginCapabilities requested, IConfiguration configuration)
    {
        var section = configuration.GetSection($"plugins:{pluginId}:grants");
        var http = List(section.GetSection("http")) ?? requested.Http;
        var subprocess = List(section.GetSection("subprocess")) ?? requested.SubprocessProfiles;
        var credentials = requested.Credentials && !string.Equals(section["credentials"], "false", StringComparison.OrdinalIgnoreCase);
        return new PluginGrants(http, credentials, subprocess);
    }

    // Null when the operator did not configure the list (an explicit empty list revokes everything).
    private static List<string>? List(IConfigurationSection section)
    {
        if (!section.Exists())
        {
            return section.Value is "" ? [] : null;
        }

        return section.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();
    }
}
