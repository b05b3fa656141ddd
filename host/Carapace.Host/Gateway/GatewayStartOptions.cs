using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Host.Gateway;

/// <summary>How <c>cara start</c> (or a test) wants the gateway started.</summary>
internal sealed record GatewayStartOptions
{
    /// <summary><c>--config</c>, or null to search the usual places.</summary>
    public string? ConfigPath { get; init; }

    /// <summary><c>--bind</c>; wins over <c>gateway.bind</c>.</summary>
    public string? BindOverride { get; init; }

    /// <summary><c>--port</c>; wins over <c>gateway.port</c>. 0 picks a free port.</summary>
    public int? PortOverride { get; init; }

    /// <summary><c>--console</c>: run the console channel on this terminal (logs then go to stderr).</summary>
    public bool Console { get; init; }

    /// <summary>Folder of the bundled first-party plugins (null for none).</summary>
    public string? BundledPluginsDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>Environment lookup; tests pass their own instead of mutating the process.</summary>
    public Func<string, string?> GetEnv { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Last-chance service overrides, for tests.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }
}
