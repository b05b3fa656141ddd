using Carapace.Host.PluginHosting;
using Carapace.Plugins.Runtime;
using Carapace.Protocol.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary>
/// <c>GET /control/plugins</c>, <c>GET /control/plugins/{id}</c>,
/// <c>POST /control/plugins/{id}/(enable|disable|reload)</c>.
/// </summary>
internal static class PluginsApi
{
    public static IEndpointRouteBuilder MapPlugins(this IEndpointRouteBuilder control)
    {
        control.MapGet("/plugins", (PluginRuntime runtime) =>
        {
            var plugins = runtime.List().Select(p => p.ToSummary()).ToList();
            return TypedResults.Ok(new PluginsResponse(runtime.Options.Enabled,
                plugins.Count(p => p.State is "failed" or "faulted" or "leaked"), plugins, runtime.Warnings));
        });

        control.MapGet("/plugins/{id}", (string id, PluginRuntime runtime) =>
            runtime.Get(id) is { } plugin
                ? Results.Ok(plugin.ToSummary())
                : ControlProblem.NotFound(PluginOperationCodes.NotFound, $"no plugin '{id}'"));

        control.MapPost("/plugins/{id}/enable", async (string id, PluginRuntime runtime) => Respond(await runtime.EnableAsync(id)));
        control.MapPost("/plugins/{id}/disable", async (string id, PluginRuntime runtime) => Respond(await runtime.DisableAsync(id)));
        control.MapPost("/plugins/{id}/reload", async (string id, PluginRuntime runtime) => Respond(await runtime.ReloadAsync(id)));
        return control;
    }

    private static IResult Respond(PluginOperationResult result)
    {
        if (result.Succeeded)
        {
            return Results.Ok(new PluginOperationResponse(true, result.Code, result.Message, result.Plugin?.ToSummary()));
        }

        var status = result.Code switch
        {
            PluginOperationCodes.NotFound => StatusCodes.Status404NotFound,
            // A leaked, failed or globally disabled plugin is a state conflict, not a bad request.
            _ => StatusCodes.Status409Conflict,
        };
        return ControlProblem.Create(status, result.Code, "Plugin operation failed", result.Message,
            new Dictionary<string, object?> { ["plugin"] = result.Plugin?.ToSummary() });
    }
}
