using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Routing;

/// <summary>
/// <c>channels:&lt;id&gt;:allowFrom</c> (sender ids; <c>*</c> for anyone) and <c>channels:&lt;id&gt;:tools</c>
/// (tool names; <c>*</c> for all). Defaults: senders are allowed only on local channels (a bundled plugin's channel that says so: the console),
/// and no tool is allowed anywhere until the operator lists it. Read per message, so config reloads apply.
/// </summary>
internal sealed record ChannelPolicy(IReadOnlySet<string>? AllowFrom, IReadOnlySet<string> Tools, bool IsLocal)
{
    public static ChannelPolicy From(IConfiguration configuration, string channelId, bool isLocal)
    {
        var section = configuration.GetSection($"channels:{channelId}");
        var allowFrom = List(section.GetSection("allowFrom"));
        var tools = List(section.GetSection("tools")) ?? new HashSet<string>(StringComparer.Ordinal);
        return new ChannelPolicy(allowFrom, tools, isLocal);
    }

    public bool AllowsSender(string senderId) =>
        AllowFrom is null ? IsLocal : AllowFrom.Contains("*") || AllowFrom.Contains(senderId);

    public bool AllowsTool(string tool) => Tools.Contains("*") || Tools.Contains(tool);

    private static HashSet<string>? List(IConfigurationSection section)
    {
        if (!section.Exists())
        {
            return null;
        }

        var values = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (values.Count == 0 && section.Value is { Length: > 0 } single)
        {
            values.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return values.ToHashSet(StringComparer.Ordinal);
    }
}
