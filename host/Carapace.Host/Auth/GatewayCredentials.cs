using System.Security.Cryptography;
using System.Text;
using Carapace.Host.Gateway;

namespace Carapace.Host.Auth;

/// <summary>
/// The effective control-API credential. Only the SHA-256 digest of the secret is kept, so the
/// comparison is constant-time over fixed-length digests and never leaks the secret's length.
/// </summary>
internal sealed class GatewayCredentials
{
    private readonly byte[]? _digest;

    public GatewayCredentials(GatewayAuthMode mode, string? secret, string? source)
    {
        Mode = mode;
        Source = source;
        _digest = secret is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }

    public GatewayAuthMode Mode { get; }

    /// <summary>Where the secret came from (env var or config key), for the startup log. Never the secret.</summary>
    public string? Source { get; }

    /// <summary>False when no secret is configured for a token/password mode: every request is then denied.</summary>
    public bool HasSecret => _digest is not null;

    public string ModeName => Mode.ToString().ToLowerInvariant();

    public bool Matches(string presented)
    {
        if (_digest is null)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        return CryptographicOperations.FixedTimeEquals(digest, _digest);
    }
}
