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
/// <item><c>httpRequestsPerMinute</c>: the operator's per-plugin rate limit, else <c>network.pluginRequestsPerMinute</c>.</item>
/// <item><c>channels</c>: the operator's channel ids, each of which the manifest must request (or request
/// <c>*</c>); without an operator list, the requested ids except <c>*</c>, which is never granted implicitly.</item>
/// </list>
/// </summary>
/// <param name="HttpRequestsPerMinute">Null: the <c>network.pluginRequestsPerMinute</c> default applies.</param>
/// <param name="Channels">Channel ids the plugin may send through (<c>*</c>: any); null means none.</param>
internal sealed record PluginGrants(
    IReadOnlyList<string> Http, bool Credentials, IReadOnlyList<string> SubprocessProfiles, int? HttpRequestsPerMinute = null,
    IReadOnlyList<string>? Channels = null)
{
    /// <exception cref="InvalidOperationException">An operator grant exceeds what the manifest requested, or is not well-formed.</exception>
    public static PluginGrants Resolve(string pluginId, PluginCapabilities requested, IConfiguration configuration)
    {
        var section = configuration.GetSection($"plugins:{pluginId}:grants");
        var credentials = requested.Credentials && Flag(pluginId, section, "credentials", fallback: true);
        var subprocess = List(section.GetSection("subprocess")) ?? requested.SubprocessProfiles;
        return new PluginGrants(HttpGrants(pluginId, requested.Http, List(section.GetSection("http"))), credentials, subprocess,
            RatePerMinute(pluginId, section), ChannelGrants(pluginId, requested.Channels, List(section.GetSection("channels"))));
    }

    // Same shape as http: the manifest is the ceiling, the operator narrows it, and "any channel" needs
    // the operator to say so.
    private static IReadOnlyList<string> ChannelGrants(string pluginId, IReadOnlyList<string> requested, List<string>? granted)
    {
        if (granted is null)
        {
            return requested.Where(c => c != PluginCapabilities.AnyChannel).ToList();
        }

        foreach (var channel in granted)
        {
            if (!requested.Contains(channel) && !requested.Contains(PluginCapabilities.AnyChannel))
            {
                throw new InvalidOperationException(requested.Count == 0
                    ? $"plugins.{pluginId}.grants.channels: '{channel}' is not requested; the plugin's manifest asks for no channels"
                    : $"plugins.{pluginId}.grants.channels: '{channel}' is outside what the plugin's manifest requests ({string.Join(", ", requested)})");
            }
        }

        return granted;
    }

    // A revocation must say exactly what it means: "credentials: nope" fails the plugin rather than
    // silently leaving the grant in place.
    private static bool Flag(string pluginId, IConfigurationSection section, string key, bool fallback) =>
        section[key]?.Trim().ToLowerInvariant() switch
        {
            null or "" => fallback,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var other => throw new InvalidOperationException($"plugins.{pluginId}.grants.{key} must be true or false (got '{other}')"),
        };

    private static int? RatePerMinute(string pluginId, IConfigurationSection section)
    {
        var raw = section["httpRequestsPerMinute"];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        return int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
               && value is > 0 and <= 1_000_000
            ? value
            : throw new InvalidOperationException(
                $"plugins.{pluginId}.grants.httpRequestsPerMinute must be a whole number from 1 to 1000000 (got '{raw}')");
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
