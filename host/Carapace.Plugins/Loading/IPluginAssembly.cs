using System.Reflection;

namespace Carapace.Plugins.Loading;

/// <summary>
/// A loaded plugin assembly and the load context that owns it. Only the slot's current generation
/// holds one; after <see cref="Unload"/> nothing but the returned weak reference points at the context.
/// </summary>
internal interface IPluginAssembly
{
    /// <exception cref="InvalidOperationException">After <see cref="Unload"/>.</exception>
    Assembly EntryAssembly { get; }

    /// <summary>Non-fatal findings of the loader (e.g. a harmless copy of a shared assembly).</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>Makes <see cref="Type.GetType(string)"/> and <c>Assembly.Load</c> resolve inside the plugin's context.</summary>
    IDisposable EnterContextualReflection();

    /// <summary>Starts unloading, drops every strong reference this object holds, and returns a weak
    /// reference to the load context so the caller can verify the unload.</summary>
    WeakReference Unload();
}
