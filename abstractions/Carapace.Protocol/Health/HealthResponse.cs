namespace Carapace.Protocol.Health;

/// <summary><c>GET /health</c>: public liveness probe.</summary>
public sealed record HealthResponse(string Status, string Version, long UptimeSeconds);
