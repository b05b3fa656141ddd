using System.Text.Json.Nodes;
using Carapace.Host.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary><c>GET /control/config</c>: the effective configuration with every secret redacted.</summary>
internal static class ConfigApi
{
    public static IEndpointRouteBuilder MapConfig(this IEndpointRouteBuilder control)
    {
        control.MapGet("/config", (LoadedConfiguration config) =>
        {
            var body = new JsonObject
            {
                ["ok"] = true,
                ["source"] = config.SourceDescription,
                ["hash"] = config.FileSha256,
                ["config"] = ConfigTree.Build(config),
            };
            return Results.Text(body.ToJsonString(), "application/json");
        });
        return control;
    }
}
