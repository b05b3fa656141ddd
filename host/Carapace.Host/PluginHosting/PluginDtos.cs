using Carapace.Plugins.Channels;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Tools;
using Carapace.Protocol.Channels;
using Carapace.Protocol.Plugins;
using Carapace.Protocol.Tools;

namespace Carapace.Host.PluginHosting;

/// <summary>Maps the runtime's records to the control-API DTOs that `cara` shares.</summary>
internal static class PluginDtos
{
    public static PluginSummary ToSummary(this PluginInfo p) => new(
        p.Id, p.State, p.Reason, p.Name, p.Version, p.Source, p.Directory, p.Kinds,
        new PluginCapabilitiesSummary(p.Capabilities.Http, p.Capabilities.Credentials, p.Capabilities.SubprocessProfiles, p.Capabilities.Filesystem),
        p.LoadMs, p.UnloadMs, p.ErrorCount, p.LastError, p.Warnings, p.Tools, p.Channels, p.Generation, p.InFlight, p.ActivatedAt,
        p.Unload is { } u ? new PluginUnloadSummary(u.Collected, u.Milliseconds, u.GcIterations) : null);

    public static ToolSummary ToSummary(this ToolInfo t) => new(t.Name, t.Description, t.InputSchema, t.PluginId);

    public static ChannelSummary ToSummary(this ChannelInfo c) =>
        new(c.Id, c.PluginId, c.State, c.Restarts, c.LastError, c.Inbound, c.Outbound, c.IsLocal, c.AcceptsWebhooks);
}
