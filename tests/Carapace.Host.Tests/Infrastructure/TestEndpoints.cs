using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Carapace.Host.Tests.Infrastructure;

/// <summary>
/// Test-only endpoints mapped on a real gateway before it starts: the control API has no body-reading
/// endpoint of its own yet, and body limits and JSON-body fuzzing need one.
/// </summary>
internal static class TestEndpoints
{
    public const string Echo = "/test/echo";

    public static void Map(WebApplication app) =>
        app.MapPost(Echo, (EchoRequest request) => Results.Ok(new { request.Name, request.Count }));

    internal sealed record EchoRequest(string Name, int Count, JsonElement? Extra);
}
