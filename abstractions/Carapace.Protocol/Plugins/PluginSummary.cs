namespace Carapace.Protocol.Plugins;

/// <summary>A plugin as <c>GET /control/plugins[/{id}]</c> shows it.</summary>
/// <param name="State">active, disabled, failed, faulted, unloaded, leaked, loading, unloading, discovered.</param>
/// <param name="Reason">Why it is not active; null when active.</param>
/// <param name="Source">bundled, path, managed or linked.</param>
/// <param name="Managed">For managed and linked plugins: what the lock file pins and the signature state; null otherwise.</param>
/// <param name="UnloadMs">Milliseconds of <paramref name="Unload"/>.</param>
/// <param name="Unload">The last unload of the plugin's code (a disable, fault, host stop, the
/// generation a reload retired, or a failed activation); null after an enable.</param>
public sealed record PluginSummary(
    string Id,
    string State,
    string? Reason,
    string? Name,
    string? Version,
    string Source,
    string Directory,
    IReadOnlyList<string> Kinds,
    PluginCapabilitiesSummary Capabilities,
    double? LoadMs,
    double? UnloadMs,
    int ErrorCount,
    string? LastError,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Tools,
    IReadOnlyList<string> Channels,
    int Generation,
    int InFlight,
    DateTimeOffset? ActivatedAt,
    ManagedPluginSummary? Managed = null,
    PluginUnloadSummary? Unload = null);

/// <summary>
/// What <c>plugins-lock.yaml</c> pins for a managed or linked plugin, and the signature state of its last
/// load check: <c>verified</c>, <c>unsigned</c> / <c>untrusted</c> (accepted with <c>--allow-unsigned</c>),
/// <c>refused</c>, or <c>unchecked</c>.
/// </summary>
public sealed record ManagedPluginSummary(
    string Sha256,
    string? Publisher,
    string Signature,
    bool AllowUnsigned,
    bool AllowUnvetted,
    int FindingCount,
    DateTimeOffset InstalledAt,
    string InstalledFrom);

/// <summary>How an unload ended: <paramref name="Verified"/> is false when the load context leaked.</summary>
/// <param name="Verified">The load context was collected.</param>
/// <param name="Ms">Drain, dispose and verification, in milliseconds.</param>
/// <param name="GcIterations">Full collections the verification took (the bound when leaked).</param>
public sealed record PluginUnloadSummary(bool Verified, double Ms, int GcIterations);

/// <summary>Capabilities the plugin requested in its manifest.</summary>
/// <param name="Channels">Channel ids it may send through (<c>capabilities.channels</c>); null from a gateway that predates it.</param>
public sealed record PluginCapabilitiesSummary(
    IReadOnlyList<string> Http,
    bool Credentials,
    IReadOnlyList<string> Subprocess,
    IReadOnlyList<string> Filesystem,
    IReadOnlyList<string>? Channels = null);

/// <summary><c>GET /control/plugins</c>.</summary>
/// <param name="Warnings">Runtime problems not tied to one plugin: a load path that cannot be read, watching turned off (null from an older gateway).</param>
public sealed record PluginsResponse(bool PluginsEnabled, int ActivationErrorCount, IReadOnlyList<PluginSummary> Plugins,
    IReadOnlyList<string>? Warnings = null);

/// <summary>Result of enable/disable/reload: <c>POST /control/plugins/{id}/(enable|disable|reload)</c>.</summary>
public sealed record PluginOperationResponse(bool Ok, string Code, string Message, PluginSummary? Plugin);
