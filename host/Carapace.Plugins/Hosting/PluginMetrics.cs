using System.Diagnostics.Metrics;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Tools;

namespace Carapace.Plugins.Hosting;

/// <summary>
/// The plugin runtime's instruments, on the <c>Carapace.Plugins</c> meter from the host's
/// <see cref="IMeterFactory"/> (the gateway exports every <c>Carapace.*</c> meter of its factory on
/// <c>/control/metrics</c>): <c>tool.invocations{tool,outcome}</c>, <c>tool.duration{tool}</c> in seconds, and
/// the gauge <c>plugins{state}</c>. Labels stay bounded: <c>tool</c> is a registered tool's name (or
/// <c>(unknown)</c> for a name no plugin provides), <c>outcome</c> a <see cref="ToolResultCodes"/> code, <c>state</c>
/// a <see cref="PluginState"/>.
/// </summary>
internal sealed class PluginMetrics
{
    public const string MeterName = "Carapace.Plugins";
    public const string UnknownTool = "(unknown)";

    private static readonly PluginState[] States = Enum.GetValues<PluginState>();

    private readonly Meter _meter;
    private readonly Counter<long> _invocations;
    private readonly Histogram<double> _duration;

    public PluginMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _invocations = _meter.CreateCounter<long>("tool.invocations", description: "Tool invocations by tool and outcome code.");
        _duration = _meter.CreateHistogram<double>("tool.duration", unit: "s", description: "Tool invocation wall time.");
    }

    public void ToolInvoked(ToolInvocationResult result)
    {
        // A registry result with no plugin means no plugin provides the name: never a label of its own.
        var tool = new KeyValuePair<string, object?>("tool", result.PluginId is null ? UnknownTool : result.ToolName);
        // Without the caller's execution context: a caller inside a plugin's flow carries that plugin's load
        // context (contextual reflection is an AsyncLocal), and a timer the exporter starts while recording
        // would keep it from unloading.
        using (ExecutionContext.SuppressFlow())
        {
            _invocations.Add(1, tool, new KeyValuePair<string, object?>("outcome", result.Code));
            _duration.Record(result.Milliseconds / 1000.0, tool);
        }
    }

    /// <summary>Publishes the number of plugins in each state (every state, zeros included) whenever metrics are collected.</summary>
    public void ObserveStates(Func<IEnumerable<string>> currentStates) =>
        _meter.CreateObservableGauge("plugins", () =>
        {
            var counts = currentStates().GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            return States.Select(state => new Measurement<int>(counts.GetValueOrDefault(state.ToWire()),
                new KeyValuePair<string, object?>("state", state.ToWire())));
        }, description: "Plugins by lifecycle state.");
}
