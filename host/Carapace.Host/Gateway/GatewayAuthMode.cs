namespace Carapace.Host.Gateway;

/// <summary>How control requests authenticate.</summary>
internal enum GatewayAuthMode
{
    /// <summary>Bearer token (the default when no password is configured).</summary>
    Token,

    /// <summary>Bearer password.</summary>
    Password,

    /// <summary>
    /// Explicit opt-in: direct loopback requests pass without credentials; everything else is denied.
    /// Never the default.
    /// </summary>
    None,
}
