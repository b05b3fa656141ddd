namespace Carapace.Protocol.Health;

/// <summary><c>GET /health/ready</c>: 200 when ready, 503 with the reasons otherwise.</summary>
public sealed record ReadyResponse(string Status, string Version, long UptimeSeconds, IReadOnlyList<string> Reasons);
