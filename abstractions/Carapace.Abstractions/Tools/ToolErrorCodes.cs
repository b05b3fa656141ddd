namespace Carapace.Abstractions.Tools;

/// <summary>
/// Stable values of <see cref="ToolResult.ErrorCode"/> the host understands (ABI 1.1). They never change
/// meaning; the host treats a code it does not know as an ordinary tool failure.
/// </summary>
public static class ToolErrorCodes
{
    /// <summary>
    /// The sandbox refused to run the tool's command: it cannot enforce the profile on this machine
    /// (<see cref="Sandbox.SandboxUnavailableException"/>). Nothing ran; the control API answers 503.
    /// </summary>
    public const string SandboxUnavailable = "sandbox_unavailable";

    /// <summary>
    /// The caller's request cannot be carried out as given (e.g. a relative executable path, one outside the
    /// sandbox profile's roots). The caller's mistake, not the plugin's: the control API answers 400 and the
    /// failure does not count toward faulting the plugin. A host that predates this code treats it as an
    /// ordinary tool failure.
    /// </summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>
    /// The operator has not granted what the call needs (e.g. the sandbox profile). A configuration matter,
    /// not a plugin fault: the control API answers 403 and the failure does not count toward faulting the plugin.
    /// </summary>
    public const string CapabilityDenied = "capability_denied";
}
