using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.Logging;

namespace TimerPlugin;

/// <summary>
/// <c>timer_start {periodMs}</c> starts a periodic timer that logs "tick N". The timer is never
/// disposed: only the host's per-plugin clock can stop it (and let the plugin unload).
/// </summary>
internal sealed class TickTool(IPluginContext context, ILogger<TickTool> logger) : ITool
{
    private readonly List<ITimer> _timers = [];
    private int _ticks;

    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "timer_start",
        "Start a periodic timer that logs every tick.",
        """{"type":"object","properties":{"periodMs":{"type":"integer","minimum":1}},"required":["periodMs"]}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromMilliseconds(call.GetInt64("periodMs")!.Value);
        _timers.Add(context.TimeProvider.CreateTimer(_ => logger.LogInformation("tick {Tick}", Interlocked.Increment(ref _ticks)), null, period, period));
        return Task.FromResult(ToolResult.Text("started"));
    }
}
