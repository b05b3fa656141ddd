using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncDisposePlugin;

/// <summary>Only IAsyncDisposable: ServiceProvider.Dispose() throws for it, DisposeAsync() works.</summary>
public sealed class Connection(ILogger<Connection> logger) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        logger.LogInformation("connection disposed asynchronously");
    }
}

public sealed class AsyncDisposeStartup : IPluginStartup
{
    public void ConfigureServices(IServiceCollection services, IPluginContext context) => services.AddSingleton<Connection>();
}

/// <summary>Takes the connection, then fails: the container already holds a created Connection.</summary>
internal sealed class BrokenTool : ITool
{
    public BrokenTool(Connection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        throw new InvalidOperationException("the remote refused the handshake");
    }

    public ToolDefinition Definition { get; } = ToolDefinition.Create("broken", "Never constructed.", """{"type":"object"}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken) => throw new NotSupportedException();
}
