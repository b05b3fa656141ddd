using Carapace.Sandbox.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary><c>GET /control/sandbox</c>: what this machine's sandbox enforces, and whether runs would be refused.</summary>
internal static class SandboxApi
{
    public static IEndpointRouteBuilder MapSandbox(this IEndpointRouteBuilder control)
    {
        control.MapGet("/sandbox", async (SandboxDiagnostics diagnostics, CancellationToken cancellationToken) =>
            TypedResults.Ok(await diagnostics.CheckAsync(cancellationToken)));
        return control;
    }
}
