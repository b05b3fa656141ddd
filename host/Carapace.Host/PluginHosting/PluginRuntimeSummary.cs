using Carapace.Host.Gateway;
using Carapace.Plugins.Runtime;
using Carapace.Protocol.Status;

namespace Carapace.Host.PluginHosting;

/// <summary>Plugin and channel counts for <c>/control/status</c>, read live from the runtime.</summary>
internal sealed class PluginRuntimeSummary(PluginRuntime runtime) : IRuntimeSummary
{
    public PluginCounts Plugins
    {
        get
        {
            var plugins = runtime.List();
            return new PluginCounts(plugins.Count, plugins.Count(p => p.State == "active"),
                plugins.Count(p => p.State is "failed" or "faulted" or "leaked"));
        }
    }

    public ChannelCounts Channels
    {
        get
        {
            var channels = runtime.ListChannels();
            return new ChannelCounts(channels.Count, channels.Count(c => c.State == "running"));
        }
    }
}

/// <summary>As upstream: a channel stuck in <c>error</c> makes the gateway not ready.</summary>
internal sealed class ChannelReadiness(PluginRuntime runtime) : IReadinessCheck
{
    public IEnumerable<string> NotReadyReasons() =>
        // The id only: LastError is an exception message and may carry anything (a URL with a token, a path).
        runtime.ListChannels().Where(c => c.State == "error").Select(c => $"channel_error:{c.Id}");
}
