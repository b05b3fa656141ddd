using System.Reflection;
using Carapace.Abstractions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Loading;

/// <summary>
/// The only assemblies a plugin shares with the host (rule 7): the ABI, the three
/// Microsoft.Extensions.*.Abstractions it is expressed in, and Microsoft.Extensions.Primitives, which
/// IConfiguration's own signatures use (IChangeToken, StringValues) and plugins/Directory.Build.props
/// references like the others. Everything else a plugin uses either comes from the shared framework or
/// is private to its load context.
/// </summary>
internal static class SharedAssemblies
{
    public static IReadOnlyList<Assembly> All { get; } =
    [
        typeof(IPluginStartup).Assembly,
        typeof(IServiceCollection).Assembly,
        typeof(ILogger).Assembly,
        typeof(IConfiguration).Assembly,
        typeof(Microsoft.Extensions.Primitives.IChangeToken).Assembly,
    ];

    public static Assembly Abstractions => All[0];

    public static Assembly? Find(string simpleName) =>
        All.FirstOrDefault(a => string.Equals(a.GetName().Name, simpleName, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Looks for copies of shared assemblies in the plugin folder. A copy of Carapace.Abstractions, or
    /// a copy of an M.E.* abstraction newer than the host's, would be loaded privately (McMaster swallows
    /// the failed share, DotNetCorePlugins#242/#302) and break type identity, so it refuses the plugin;
    /// an equal-or-older M.E.* copy is harmless (the host's copy wins) and becomes a warning.
    /// </summary>
    /// <returns>The refusal reason, or null.</returns>
    public static string? CheckPluginFolder(string directory, List<string> warnings)
    {
        foreach (var shared in All)
        {
            var name = shared.GetName();
            var file = Path.Combine(directory, name.Name + ".dll");
            if (!File.Exists(file))
            {
                continue;
            }

            Version? copyVersion;
            try
            {
                copyVersion = AssemblyName.GetAssemblyName(file).Version;
            }
            catch (BadImageFormatException)
            {
                copyVersion = null;
            }

            if (shared == Abstractions)
            {
                return $"the plugin folder ships its own copy of {name.Name}.dll (version {copyVersion?.ToString() ?? "unknown"}); " +
                       "a private copy breaks type identity with the host. Reference Carapace.Abstractions with " +
                       "Private=false and ExcludeAssets=runtime (plugins/Directory.Build.props does this) and remove the file";
            }

            if (copyVersion is null || copyVersion > name.Version)
            {
                return $"the plugin folder ships {name.Name}.dll {copyVersion?.ToString() ?? "(unreadable)"}, newer than the host's {name.Version}; " +
                       "it would load as a private copy and break type identity. Pin the package to the host's version and exclude its runtime assets";
            }

            warnings.Add($"the plugin folder ships a copy of {name.Name}.dll ({copyVersion}); it is ignored in favour of the host's {name.Version}. Exclude its runtime assets");
        }

        return null;
    }
}
