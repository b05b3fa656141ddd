using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.DependencyInjection;

namespace LeakyPlugin;

/// <summary>
/// The classic leak: a handler on a process-wide event (AppDomain.ProcessExit lives in the default
/// context forever) references this plugin's code, so its load context can never be collected.
/// plugins/BannedSymbols.txt bans this event; the fixture silences the ban on purpose.
/// </summary>
public sealed class LeakyStartup : IPluginStartup
{
    public void ConfigureServices(IServiceCollection services, IPluginContext context)
    {
#pragma warning disable RS0030 // Banned API: the point of this fixture.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
#pragma warning restore RS0030
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
    }
}

internal sealed class PingTool : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create("leaky_ping", "Answers pong.", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken) => Task.FromResult(ToolResult.Text("pong"));
}
