using Microsoft.Extensions.Logging;

namespace Carapace.Host.Audit;

/// <summary>
/// Interim audit sink: writes audit events to the structured log until the file-backed
/// <c>audit.jsonl</c> writer replaces it.
/// </summary>
internal sealed class LoggingAuditLog(ILogger<LoggingAuditLog> logger) : IAuditLog
{
    public void Write(string eventName, IReadOnlyDictionary<string, object?> data) =>
        logger.LogInformation("audit {AuditEvent} {@AuditData}", eventName, data);
}
