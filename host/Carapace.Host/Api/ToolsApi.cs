using System.Text.Json;
using Carapace.Host.PluginHosting;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Tools;
using Carapace.Protocol.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary>
/// <c>GET /control/tools</c> and <c>POST /control/tools/{name}/invoke</c> (body: the JSON arguments
/// object). Failures are problem+json with the runtime's codes: a plugin's failure is a 502/504 that
/// names the plugin, a sandbox refusal of the tool's command is 503 <c>sandbox_unavailable</c> with the
/// reason, never a 500 and never a stack trace.
/// </summary>
internal static class ToolsApi
{
    public static IEndpointRouteBuilder MapTools(this IEndpointRouteBuilder control)
    {
        control.MapGet("/tools", (PluginRuntime runtime) =>
            TypedResults.Ok(new ToolsResponse(runtime.ListTools().Select(t => t.ToSummary()).ToList())));

        control.MapPost("/tools/{name}/invoke", async (string name, HttpRequest request, PluginRuntime runtime, CancellationToken ct) =>
        {
            JsonElement arguments;
            try
            {
                using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
                arguments = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                return ControlProblem.BadRequest("invalid_request", $"the body must be a JSON object of tool arguments ({ex.Message})");
            }

            if (arguments.ValueKind != JsonValueKind.Object)
            {
                return ControlProblem.BadRequest("invalid_request", "the body must be a JSON object of tool arguments");
            }

            var result = await runtime.InvokeToolAsync(name, arguments, new ToolInvocationOptions("control"), ct);
            return result.Succeeded
                ? Results.Ok(new ToolInvokeResponse(true, result.ToolName, result.PluginId, result.Output, result.Milliseconds, result.CallId))
                : Failure(result);
        });
        return control;
    }

    private static IResult Failure(ToolInvocationResult result)
    {
        var extensions = new Dictionary<string, object?>
        {
            ["tool"] = result.ToolName,
            ["pluginId"] = result.PluginId,
            ["callId"] = result.CallId,
        };
        if (result.ArgumentErrors.Count > 0)
        {
            extensions["errors"] = result.ArgumentErrors.Select(e => new { path = e.Path, message = e.Message }).ToList();
        }

        var (status, title) = result.Code switch
        {
            ToolResultCodes.ToolNotFound => (StatusCodes.Status404NotFound, "Tool not found"),
            ToolResultCodes.InvalidArguments => (StatusCodes.Status400BadRequest, "Invalid arguments"),
            ToolResultCodes.ToolTimeout => (StatusCodes.Status504GatewayTimeout, "Tool timed out"),
            ToolResultCodes.SandboxUnavailable => (StatusCodes.Status503ServiceUnavailable, "Sandbox unavailable"),
            ToolResultCodes.InvalidRequest => (StatusCodes.Status400BadRequest, "Invalid request"),
            ToolResultCodes.CapabilityDenied => (StatusCodes.Status403Forbidden, "Capability denied"),
            ToolResultCodes.Cancelled => (499, "Cancelled"),
            _ => (StatusCodes.Status502BadGateway, "Tool failed"),
        };
        var detail = result.PluginId is null ? result.Error : $"plugin '{result.PluginId}': {result.Error}";
        return ControlProblem.Create(status, result.Code, title, detail, extensions);
    }
}
