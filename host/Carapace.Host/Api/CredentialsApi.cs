using System.Text.Json;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;
using Carapace.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary>
/// <c>GET /control/credentials</c> (metadata only, never values), <c>PUT /control/credentials/{key}</c>
/// with <c>{"value": "…"}</c>, <c>DELETE /control/credentials/{key}</c>.
/// </summary>
internal static class CredentialsApi
{
    /// <summary>
    /// Room for the largest value the store accepts (64 KiB of UTF-8) in the worst JSON spelling, where
    /// every byte is a control character escaped as <c>\u00XX</c> (6 bytes), plus the envelope. The
    /// default control-route cap (256 KiB) would turn such a valid value into a 413; anything larger
    /// than the store's limit is still refused, by the store, as <c>credential_value_too_large</c>.
    /// </summary>
    internal const long MaxPutBodyBytes = CredentialStore.MaxValueBytes * 6 + 1024;

    public static IEndpointRouteBuilder MapCredentials(this IEndpointRouteBuilder control)
    {
        control.MapGet("/credentials", async (ICredentialStore store, CancellationToken ct) =>
            await Guard(async () =>
            {
                var status = await store.GetStatusAsync(ct);
                var entries = await store.ListAsync(ct);
                return Results.Ok(new { ok = true, backend = status.Backend, writable = status.Writable, credentials = entries });
            }));

        control.MapPut("/credentials/{key}", async (string key, HttpRequest request, ICredentialStore store, CancellationToken ct) =>
            await Guard(async () =>
            {
                if (!CredentialKey.TryParse(key, out var parsed, out var keyError))
                {
                    return ControlProblem.BadRequest(CredentialErrorCodes.InvalidKey, keyError);
                }

                var (value, bodyError) = await ReadValueAsync(request, ct);
                if (value is null)
                {
                    return ControlProblem.BadRequest("invalid_request", bodyError);
                }

                await store.SetAsync(parsed, value, ct);
                return Results.Ok(new { ok = true, key = parsed.ToString() });
            }))
            .WithBodyLimit(MaxPutBodyBytes);

        control.MapDelete("/credentials/{key}", async (string key, ICredentialStore store, CancellationToken ct) =>
            await Guard(async () =>
            {
                if (!CredentialKey.TryParse(key, out var parsed, out var keyError))
                {
                    return ControlProblem.BadRequest(CredentialErrorCodes.InvalidKey, keyError);
                }

                return await store.DeleteAsync(parsed, ct)
                    ? Results.Ok(new { ok = true, key = parsed.ToString() })
                    : ControlProblem.NotFound("not_found", $"no credential '{parsed}'");
            }));
        return control;
    }

    private const string BodyShape = "body must be a JSON object with a string 'value'";

    private static async Task<(string? Value, string Error)> ReadValueAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("value", out var value)
                || value.ValueKind != JsonValueKind.String)
            {
                return (null, BodyShape);
            }

            // JSON may escape a lone surrogate ("\ud800") that no UTF-16 string can be transcoded from;
            // the parser accepts it and GetString throws, which must be the caller's 400, not our 500.
            try
            {
                return (value.GetString(), BodyShape);
            }
            catch (InvalidOperationException)
            {
                return (null, "'value' is not valid Unicode text (it contains an unpaired surrogate escape)");
            }
        }
        catch (JsonException)
        {
            return (null, BodyShape);
        }
    }

    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (CredentialException ex)
        {
            return ControlProblem.Create(CredentialErrors.HttpStatus(ex.Code), ex.Code, "Credential store error",
                ex.Hint is null ? ex.Message : $"{ex.Message} ({ex.Hint})");
        }
    }
}
