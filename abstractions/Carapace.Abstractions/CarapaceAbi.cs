namespace Carapace.Abstractions;

/// <summary>
/// The version of the plugin ABI this assembly defines. A plugin declares the ABI it was built
/// against in <c>plugin.yaml</c> (<c>targetAbi: "1.0"</c>); the host refuses a plugin whose major
/// version differs from <see cref="Current"/> or whose target is newer than <see cref="Current"/>.
/// </summary>
/// <remarks>
/// The ABI version is deliberately separate from the assembly version: the assembly version follows
/// the product, the ABI version only moves when the contract moves. Minor bumps add members a plugin
/// may use (so a plugin built for 1.2 cannot run on a 1.1 host); major bumps break existing plugins.
/// Every ABI call stays message-shaped (DTOs, <see cref="System.Text.Json.JsonElement"/>, strings):
/// no delegates, streams, host objects or <see cref="Type"/>s cross it, which keeps unloading clean
/// and lets the same plugin run out of process later.
/// </remarks>
public static class CarapaceAbi
{
    /// <summary>Major version of the ABI.</summary>
    public const int Major = 1;

    /// <summary>Minor version of the ABI. 1.1: <c>ToolResult.ErrorCode</c> and <c>ToolErrorCodes</c>.</summary>
    public const int Minor = 1;

    /// <summary>The ABI this assembly defines, as <c>Major.Minor</c>.</summary>
    public static Version Current { get; } = new(Major, Minor);
}
