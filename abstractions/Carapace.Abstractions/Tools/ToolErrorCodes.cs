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
}
