using Carapace.Plugins.Lock;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Signing;
using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Install;

/// <summary>
/// The managed-plugin state one gateway owns: the layout under <c>&lt;state&gt;/plugins</c>, the lock
/// file, and the signature policy the installer and every load apply. Disabled (no root) when the host
/// has no state directory for plugins (<see cref="PluginRuntimeOptions.ManagedDirectory"/> is null).
/// </summary>
internal sealed class ManagedPluginStore(PluginRuntimeOptions options, IConfiguration configuration)
{
    private readonly ManagedPluginLayout? _layout = options.ManagedDirectory is { } root ? new ManagedPluginLayout(root) : null;

    public bool IsEnabled => _layout is not null;

    public ManagedPluginLayout Layout => _layout ?? throw new InvalidOperationException("managed plugins are not enabled in this host");

    /// <summary>Why the lock could not be read at start, if it could not (nothing managed was loaded then).</summary>
    public string? StartupLockError { get; set; }

    /// <summary>The current policy, or why <c>plugins.signature.*</c> is invalid (then no managed plugin may load).</summary>
    public (SignaturePolicy? Policy, string? Error) ReadPolicy()
    {
        try
        {
            return (SignaturePolicy.FromConfiguration(configuration), null);
        }
        catch (SignaturePolicyException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <exception cref="PluginLockException">The lock file exists and is not valid.</exception>
    public PluginLock ReadLock() => PluginLockFile.Read(Layout.LockPath);

    /// <summary>Atomically replaces the lock file: the commit point of install, update and uninstall.</summary>
    public void WriteLock(PluginLock pluginLock) => PluginLockFile.Write(Layout.LockPath, pluginLock);
}
