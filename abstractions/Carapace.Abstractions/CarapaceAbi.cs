namespace Carapace.Abstractions;

/// <summary>
/// The version of the plugin ABI this assembly defines. A plugin declares the ABI it was built
/// against in <c>plugin.yaml</c> (<c>targetAbi</c>); the host refuses a plugin whose target is newer
/// than <see cref="Current"/> or whose major version differs.
/// </summary>
public static class CarapaceAbi
{
    /// <summary>Major bumps on breaking changes; minor bumps on additions.</summary>
    public static readonly Version Current = new(1, 0);
}
