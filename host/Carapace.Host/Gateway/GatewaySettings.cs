using System.Net;
using Carapace.Host.Security;

namespace Carapace.Host.Gateway;

/// <summary>The validated <c>gateway.*</c> section.</summary>
internal sealed record GatewaySettings
{
    public const int DefaultPort = 18789;

    public required IPAddress BindAddress { get; init; }
    public required string BindText { get; init; }
    public required int Port { get; init; }

    /// <summary>Configured mode, or null when the mode is left to secret resolution.</summary>
    public required GatewayAuthMode? AuthMode { get; init; }
    public required string? ConfigToken { get; init; }
    public required string? ConfigPassword { get; init; }
    public required bool ControlEnabled { get; init; }

    /// <summary>Rate limits, auth throttling, request limits, TLS, trusted proxies and CSRF origins.</summary>
    public SecuritySettings Security { get; init; } = SecuritySettings.Default;

    public bool IsLoopbackOnly => IPAddress.IsLoopback(BindAddress);
}
