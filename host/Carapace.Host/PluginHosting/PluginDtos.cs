using Carapace.Plugins.Channels;
using Carapace.Plugins.Install;
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
        new PluginCapabilitiesSummary(p.Capabilities.Http, p.Capabilities.Credentials, p.Capabilities.SubprocessProfiles, p.Capabilities.Filesystem, p.Capabilities.Channels),
        p.LoadMs, p.UnloadMs, p.ErrorCount, p.LastError, p.Warnings, p.Tools, p.Channels, p.Generation, p.InFlight, p.ActivatedAt,
        p.Managed is { } m
            ? new ManagedPluginSummary(m.Sha256, m.Publisher, m.Signature, m.AllowUnsigned, m.AllowUnvetted, m.FindingCount, m.InstalledAt, m.InstalledFrom)
            : null,
        p.Unload is { } u ? new PluginUnloadSummary(u.Collected, u.Milliseconds, u.GcIterations) : null);

    public static VettingFindingSummary ToSummary(this Carapace.Plugins.Vetting.VettingFinding f) =>
        new(f.Code, f.File, f.Type, f.Method, f.Api, f.Message);

    public static PluginInstallResponse ToResponse(this InstallOutcome o) => new(
        true, o.Action, o.Message, o.Entry.Id, o.Entry.Version, o.PreviousVersion, o.Entry.Sha256.Hex,
        o.Signature?.State.ToString().ToLowerInvariant(), o.Entry.PublisherKey?.Hex, o.Entry.AllowUnsigned, o.Entry.AllowUnvetted,
        o.Entry.FindingCount, o.Vetting?.Findings.Select(f => f.ToSummary()).ToList() ?? [], o.Plugin?.ToSummary());

    public static PluginUninstallResponse ToResponse(this UninstallOutcome o) => new(
        !o.Leaked, o.DryRun, o.Entry.Id, o.Entry.Version, o.RemovedDirectory, o.KeptDirectory, o.Leaked, o.Message, o.Plugin?.ToSummary());

    public static PluginDoctorResponse ToResponse(this DoctorReport r) => new(
        r.Healthy,
        r.General.Select(ToSummary).ToList(),
        r.Plugins.Select(p => new PluginDoctorSummary(p.Id, p.Source, p.State, p.Version, p.Signature, p.Publisher, p.FindingCount,
            p.AllowUnvetted, p.Healthy, p.Findings.Select(ToSummary).ToList())).ToList());

    private static DoctorFindingSummary ToSummary(DoctorFinding f) => new(f.Code, f.Severity, f.Message);

    public static ToolSummary ToSummary(this ToolInfo t) => new(t.Name, t.Description, t.InputSchema, t.PluginId);

    public static ChannelSummary ToSummary(this ChannelInfo c) =>
        new(c.Id, c.PluginId, c.State, c.Restarts, c.LastError, c.Inbound, c.Outbound, c.IsLocal, c.AcceptsWebhooks);
}
