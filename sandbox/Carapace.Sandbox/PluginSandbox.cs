using Carapace.Abstractions;
using Carapace.Abstractions.Sandbox;
using Carapace.Sandbox.Configuration;

namespace Carapace.Sandbox;

/// <summary>
/// A plugin's view of the broker: it may run a command only under a profile the operator granted it
/// (<c>subprocess: {profile}</c> in plugin.yaml, approved by the host). The profile, never the plugin,
/// decides roots, network and limits.
/// </summary>
public sealed class PluginSandbox : IPluginSandbox
{
    public const string Capability = "subprocess";

    private readonly string _pluginId;
    private readonly HashSet<string> _granted;
    private readonly ISandboxBroker _broker;
    private readonly SandboxProfiles _profiles;
    private readonly ISandboxEventSink _events;

    public PluginSandbox(string pluginId, IEnumerable<string> grantedProfiles, ISandboxBroker broker, SandboxProfiles profiles, ISandboxEventSink events)
    {
        _pluginId = pluginId;
        _granted = new HashSet<string>(grantedProfiles, StringComparer.Ordinal);
        _broker = broker;
        _profiles = profiles;
        _events = events;
    }

    public Task<SandboxResult> RunAsync(SandboxCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!_granted.Contains(command.Profile))
        {
            var reason = $"sandbox profile '{command.Profile}' is not granted to this plugin";
            _events.ProfileDenied(_pluginId, command.Profile, reason);
            throw new CapabilityDeniedException(_pluginId, Capability, reason);
        }

        if (!_profiles.TryGet(command.Profile, out var profile))
        {
            var reason = $"sandbox profile '{command.Profile}' is granted but not defined under sandbox.profiles";
            _events.RunRefused(new SandboxRefusal($"plugin:{_pluginId}", command.Profile, command.Executable, reason));
            throw new SandboxUnavailableException(reason);
        }

        var request = SandboxProfiles.ToRequest(command.Profile, profile, command, $"plugin:{_pluginId}");
        return _broker.RunAsync(request, cancellationToken);
    }
}

/// <summary>Creates the per-plugin <see cref="IPluginSandbox"/> the host puts into the plugin's context.</summary>
public interface IPluginSandboxFactory
{
    IPluginSandbox Create(string pluginId, IEnumerable<string> grantedProfiles);
}

internal sealed class PluginSandboxFactory(ISandboxBroker broker, SandboxProfiles profiles, ISandboxEventSink events) : IPluginSandboxFactory
{
    public IPluginSandbox Create(string pluginId, IEnumerable<string> grantedProfiles) =>
        new PluginSandbox(pluginId, grantedProfiles, broker, profiles, events);
}
