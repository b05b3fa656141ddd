using Carapace.Abstractions.Tools;

namespace Carapace.Tools.Files;

/// <summary>
/// Refusals are the caller's mistake (a path outside the roots, a missing file) or the operator's
/// (no roots configured), never a fault of the plugin: with these codes the host answers 400 or 403 and
/// does not count them toward deactivating the plugin (ABI 1.1).
/// </summary>
internal static class Refusal
{
    public const string NoRoots = "no roots are configured (plugins:files:roots)";

    public static ToolResult Invalid(string message) => ToolResult.Failure(message, ToolErrorCodes.InvalidRequest);

    public static ToolResult Of(UnauthorizedAccessException refused) =>
        refused.Message == NoRoots
            ? ToolResult.Failure($"refused: {refused.Message}", ToolErrorCodes.CapabilityDenied)
            : Invalid($"refused: {refused.Message}");
}
