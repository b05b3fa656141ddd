using System.Reflection;

namespace Carapace.Host.Gateway;

/// <summary>The product version, from the assembly's informational version (without the git hash).</summary>
internal static class CarapaceVersion
{
    public static string Current { get; } = Read();

    private static string Read()
    {
        var informational = typeof(CarapaceVersion).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
