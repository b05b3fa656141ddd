namespace Carapace.Protocol.Plugins;

/// <summary>
/// JSON body of <c>POST /control/plugins/install</c> and <c>/control/plugins/update</c> for a package on
/// the gateway's machine (accepted only from a direct loopback client). A package from elsewhere is
/// uploaded as <c>multipart/form-data</c> instead: a file part <c>package</c> and the same flags as form fields.
/// </summary>
/// <param name="Path">Absolute path of a <c>.zip</c> or a plugin directory.</param>
/// <param name="Link">Register the directory in place (development) instead of copying it.</param>
/// <param name="AllowUnsigned">Accept an unsigned or untrusted package where the policy permits it.</param>
/// <param name="AllowUnvetted">Accept vetting findings (recorded in the lock file and shown in status).</param>
/// <param name="Yes">Replace an installed version with other content under the same version.</param>
public sealed record PluginInstallRequest(
    string? Path,
    bool Link = false,
    bool AllowUnsigned = false,
    bool AllowUnvetted = false,
    bool Yes = false);

/// <summary>One vetting finding: file, type, method and API of a banned use.</summary>
public sealed record VettingFindingSummary(string Code, string File, string? Type, string? Method, string? Api, string Message);

/// <summary>A successful install or update. <see cref="Action"/>: installed, updated, linked or unchanged.</summary>
public sealed record PluginInstallResponse(
    bool Ok,
    string Action,
    string Message,
    string Id,
    string Version,
    string? PreviousVersion,
    string Sha256,
    string? Signature,
    string? Publisher,
    bool AllowUnsigned,
    bool AllowUnvetted,
    int FindingCount,
    IReadOnlyList<VettingFindingSummary> Findings,
    PluginSummary? Plugin);

/// <summary><c>DELETE /control/plugins/{id}[?keepFiles=true][&amp;dryRun=true]</c>.</summary>
public sealed record PluginUninstallResponse(
    bool Ok,
    bool DryRun,
    string Id,
    string Version,
    string? RemovedDirectory,
    string? KeptDirectory,
    bool Leaked,
    string Message,
    PluginSummary? Plugin);

/// <summary>One doctor finding; <see cref="Severity"/> is error (unhealthy) or warning.</summary>
public sealed record DoctorFindingSummary(string Code, string Severity, string Message);

/// <summary>The doctor's view of one plugin.</summary>
public sealed record PluginDoctorSummary(
    string Id,
    string Source,
    string State,
    string? Version,
    string? Signature,
    string? Publisher,
    int FindingCount,
    bool AllowUnvetted,
    bool Healthy,
    IReadOnlyList<DoctorFindingSummary> Findings);

/// <summary><c>GET /control/doctor/plugins</c>: <see cref="Healthy"/> is false when any finding is an error.</summary>
public sealed record PluginDoctorResponse(bool Healthy, IReadOnlyList<DoctorFindingSummary> General, IReadOnlyList<PluginDoctorSummary> Plugins);
