namespace Carapace.Protocol.Status;

/// <summary><c>GET /control/status</c> (authenticated).</summary>
public sealed record StatusResponse(
    bool Ok,
    string Version,
    DateTimeOffset StartedAt,
    long UptimeSeconds,
    RuntimeInfo Runtime,
    PluginCounts Plugins,
    ChannelCounts Channels,
    StatusDiagnostics Diagnostics);

public sealed record RuntimeInfo(string Name, string Version, string Platform, string Arch, string Dotnet);

public sealed record PluginCounts(int Total, int Active, int Failed);

public sealed record ChannelCounts(int Total, int Connected);

public sealed record StatusDiagnostics(bool StateDirWritable, long MemoryRssBytes, string AuthMode, string ListenAddress);
