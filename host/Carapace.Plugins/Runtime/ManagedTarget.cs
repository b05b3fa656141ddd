using Carapace.Plugins.Lock;
using Carapace.Plugins.Signing;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// A managed plugin the runtime is asked to activate: the lock entry that will be committed and the
/// directory it loads from (the installed copy, or the linked directory).
/// </summary>
internal sealed class ManagedTarget(PluginLockEntry entry, string directory)
{
    public PluginLockEntry Entry { get; } = entry;

    public string Directory { get; } = directory;

    public string Id => Entry.Id;

    public PluginSource Source => Entry.IsLinked ? PluginSource.Linked : PluginSource.Managed;

    /// <summary>What the load check concluded about the signature (set while building).</summary>
    public SignatureState? Signature { get; set; }
}
