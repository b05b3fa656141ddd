using System.Reflection;
using System.Runtime.Loader;
using Carapace.Plugins.Manifest;
using McMaster.NETCore.Plugins;

namespace Carapace.Plugins.Loading;

/// <summary>
/// <see cref="IPluginLoader"/> over McMaster.NETCore.Plugins: one unloadable context per plugin,
/// sharing exactly <see cref="SharedAssemblies"/>, assemblies read into memory so the files on disk
/// can be replaced for a reload. The library's own hot reload is not used: it never verifies unloads.
/// </summary>
internal sealed class McMasterPluginLoader : IPluginLoader
{
    public IPluginAssembly Load(PluginManifest manifest)
    {
        var warnings = new List<string>();
        var refusal = SharedAssemblies.CheckPluginFolder(manifest.Directory, warnings);
        if (refusal is not null)
        {
            throw new PluginLoadException(refusal);
        }

        CheckAllowlist(manifest);

        PluginLoader loader;
        try
        {
            var config = new PluginConfig(manifest.EntryAssemblyPath)
            {
                IsUnloadable = true,
                LoadInMemory = true,
                PreferSharedTypes = false,
                IsLazyLoaded = false,
            };
            foreach (var shared in SharedAssemblies.All)
            {
                config.SharedAssemblies.Add(shared.GetName());
            }

            loader = new PluginLoader(config);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException)
        {
            throw new PluginLoadException($"cannot create a load context for {manifest.EntryAssembly}: {ex.Message}", ex);
        }

        try
        {
            var assembly = loader.LoadDefaultAssembly();
            CheckSharedIdentity(loader.LoadContext, assembly);
            return new McMasterPluginAssembly(loader, assembly, warnings);
        }
        catch (Exception ex)
        {
            loader.Dispose();
            if (ex is PluginLoadException)
            {
                throw;
            }

            throw new PluginLoadException($"cannot load {manifest.EntryAssembly}: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <summary>With an <c>assemblies</c> allowlist, every .dll in the folder must be the entry assembly or listed.</summary>
    private static void CheckAllowlist(PluginManifest manifest)
    {
        if (manifest.Assemblies is not { } allowed)
        {
            return;
        }

        var comparer = OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
        var set = new HashSet<string>(allowed, comparer) { manifest.EntryAssembly };
        foreach (var file in Directory.EnumerateFiles(manifest.Directory, "*.dll", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(manifest.Directory, file);
            if (!set.Contains(relative))
            {
                throw new PluginLoadException($"assembly '{relative}' is not in the manifest's assemblies allowlist");
            }
        }
    }

    /// <summary>
    /// Defence in depth behind the folder check: every shared assembly the plugin references must
    /// resolve to the host's own copy, or types like ITool would silently not match.
    /// </summary>
    private static void CheckSharedIdentity(AssemblyLoadContext context, Assembly entry)
    {
        foreach (var reference in entry.GetReferencedAssemblies())
        {
            var hostCopy = SharedAssemblies.Find(reference.Name ?? string.Empty);
            if (hostCopy is null)
            {
                continue;
            }

            Assembly resolved;
            try
            {
                resolved = context.LoadFromAssemblyName(reference);
            }
            catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                throw new PluginLoadException(
                    $"the plugin references {reference.Name} {reference.Version} but the host provides {hostCopy.GetName().Version}; rebuild it against this host", ex);
            }

            if (!ReferenceEquals(resolved, hostCopy))
            {
                throw new PluginLoadException(
                    $"{reference.Name} resolved to a private copy instead of the host's shared assembly; the plugin would not be usable");
            }
        }
    }

    private sealed class McMasterPluginAssembly(PluginLoader loader, Assembly assembly, IReadOnlyList<string> warnings) : IPluginAssembly
    {
        private PluginLoader? _loader = loader;
        private Assembly? _assembly = assembly;

        public Assembly EntryAssembly => _assembly ?? throw new InvalidOperationException("the plugin assembly was unloaded");

        public IReadOnlyList<string> Warnings { get; } = warnings;

        public IDisposable EnterContextualReflection() =>
            (_loader ?? throw new InvalidOperationException("the plugin assembly was unloaded")).EnterContextualReflection();

        public WeakReference Unload()
        {
            var loader = _loader ?? throw new InvalidOperationException("already unloaded");
            var weak = new WeakReference(loader.LoadContext, trackResurrection: false);
            _assembly = null;
            _loader = null;
            loader.Dispose();
            return weak;
        }
    }
}
