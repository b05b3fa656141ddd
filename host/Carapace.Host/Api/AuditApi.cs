using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Carapace.Host.Audit;
using Carapace.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary>
/// <c>GET /control/audit?n=100</c>: the newest N audit events from <c>audit.jsonl</c>, oldest first:
/// <c>{"events":[{ts,event,data},…],"skipped":K}</c>, where K counts unreadable (torn) lines passed over.
/// A file that exists but cannot be read is 503 <c>audit_unavailable</c>.
/// </summary>
internal static class AuditApi
{
    public const int DefaultCount = 100;
    public const int MaxCount = 10_000;
    public const string UnavailableCode = "audit_unavailable";

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder control)
    {
        control.MapGet("/audit", async (HttpContext context, StateDirectory state) =>
        {
            var raw = context.Request.Query["n"];
            var count = DefaultCount;
            if (raw.Count > 1 || (raw.Count == 1 && (!int.TryParse(raw[0], NumberStyles.None, CultureInfo.InvariantCulture, out count)
                                                     || count is < 1 or > MaxCount)))
            {
                return ControlProblem.BadRequest("invalid_request", $"query parameter 'n' must be a whole number from 1 to {MaxCount}");
            }

            AuditRead read;
            try
            {
                read = await Task.Run(() => AuditFileReader.ReadNewest(state.AuditLogPath, count), context.RequestAborted);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not the caller's fault and not a crash: the file exists but cannot be read (permissions, a directory in its place).
                return ControlProblem.Unavailable(UnavailableCode, $"The audit log cannot be read: {ex.Message}");
            }

            var buffer = new ArrayBufferWriter<byte>(4096);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("events");
                foreach (var line in read.Lines)
                {
                    writer.WriteRawValue(line, skipInputValidation: true);
                }

                writer.WriteEndArray();
                writer.WriteNumber("skipped", read.Skipped);
                writer.WriteEndObject();
            }

            return Results.Bytes(buffer.WrittenMemory.ToArray(), "application/json");
        });
        return control;
    }
}
