using Carapace.Abstractions;

namespace Carapace.Plugins.Manifest;

/// <summary>The ABI gate: same major, and not newer than the host.</summary>
internal static class AbiCompatibility
{
    /// <returns>null when compatible, otherwise the reason the plugin is refused.</returns>
    public static string? Check(Version targetAbi, Version? hostAbi = null)
    {
        var host = hostAbi ?? CarapaceAbi.Current;
        if (targetAbi.Major != host.Major)
        {
            return $"plugin targets ABI {Format(targetAbi)} but this host implements ABI {Format(host)}; " +
                   "the major version must match (rebuild the plugin against this host's Carapace.Abstractions)";
        }

        if (targetAbi.Minor > host.Minor)
        {
            return $"plugin targets ABI {Format(targetAbi)}, newer than this host's ABI {Format(host)}; " +
                   "upgrade Carapace or use a plugin version built for this ABI";
        }

        return null;
    }

    private static string Format(Version v) => $"{v.Major}.{Math.Max(v.Minor, 0)}";
}
