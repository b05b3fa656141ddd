using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Api;

/// <summary>
/// The one error shape of the control API: RFC 9457 problem+json with a stable machine-readable
/// <c>code</c>. Handlers return these instead of throwing, so nothing user-caused becomes a 500.
/// </summary>
internal static class ControlProblem
{
    public const string ContentType = "application/problem+json";

    public static IResult Create(int status, string code, string title, string? detail = null,
        IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                ext[key] = value;
            }
        }

        return TypedResults.Problem(
            statusCode: status,
            title: title,
            detail: detail,
            type: $"https://carapace.dev/problems/{code}",
            extensions: ext);
    }

    public static IResult BadRequest(string code, string detail, IDictionary<string, object?>? extensions = null) =>
        Create(StatusCodes.Status400BadRequest, code, "Invalid request", detail, extensions);

    public static IResult NotFound(string code, string detail) =>
        Create(StatusCodes.Status404NotFound, code, "Not found", detail);

    public static IResult Conflict(string code, string detail) =>
        Create(StatusCodes.Status409Conflict, code, "Conflict", detail);

    public static IResult Forbidden(string code, string detail) =>
        Create(StatusCodes.Status403Forbidden, code, "Forbidden", detail);

    public static IResult Unavailable(string code, string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, code, "Unavailable", detail);
}
