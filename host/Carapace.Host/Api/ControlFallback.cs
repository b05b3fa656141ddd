using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;

namespace Carapace.Host.Api;

/// <summary>
/// Unknown <c>/control/...</c> paths answer 404 problem+json, but only after authentication, so an
/// unauthenticated caller cannot map which control endpoints exist. Because this catch-all accepts
/// every method, it also answers 405 (with <c>Allow</c>) when the path exists under another method.
/// </summary>
internal static class ControlFallback
{
    public static IEndpointRouteBuilder MapControlFallback(this IEndpointRouteBuilder control)
    {
        control.Map("/{**path}", (HttpContext context, EndpointDataSource endpoints) =>
        {
            var allowed = AllowedMethods(context.Request.Path, endpoints);
            if (allowed.Count == 0)
            {
                return ControlProblem.NotFound("not_found", "No such control endpoint.");
            }

            context.Response.Headers.Allow = string.Join(", ", allowed);
            return ControlProblem.Create(StatusCodes.Status405MethodNotAllowed, "method_not_allowed", "Method not allowed",
                $"Use {string.Join(" or ", allowed)}.");
        });
        return control;
    }

    private static List<string> AllowedMethods(PathString path, EndpointDataSource endpoints)
    {
        var allowed = new List<string>();
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
            if (methods is null || endpoint.RoutePattern.RawText?.Contains("**", StringComparison.Ordinal) == true)
            {
                continue;
            }

            var matcher = new TemplateMatcher(new RouteTemplate(endpoint.RoutePattern), new RouteValueDictionary());
            if (matcher.TryMatch(path, new RouteValueDictionary()))
            {
                allowed.AddRange(methods.Except(allowed, StringComparer.OrdinalIgnoreCase));
            }
        }

        return allowed;
    }
}
