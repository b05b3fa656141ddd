using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Api;

/// <summary>
/// Gives bodyless errors (unknown route, wrong method, oversized body) and unhandled exceptions the
/// same problem+json shape as handler errors. An exception becomes a 500 with a correlation id and
/// no stack trace; the details go to the log only.
/// </summary>
internal static class ProblemStatusCodes
{
    public static IApplicationBuilder UseProblemResponses(this IApplicationBuilder app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Carapace.Host.Api");
                if (error is BadHttpRequestException bad)
                {
                    await ForStatus(bad.StatusCode).ExecuteAsync(context);
                    return;
                }

                logger.LogError(error, "Unhandled error on {Method} {Path} (trace {TraceId})",
                    context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
                await ControlProblem.Create(StatusCodes.Status500InternalServerError, "internal_error", "Internal error",
                    $"The request failed; see the gateway log for trace id {context.TraceIdentifier}.").ExecuteAsync(context);
            },
        });
        app.UseStatusCodePages(context => ForStatus(context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        return app;
    }

    public static IResult ForStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => ControlProblem.NotFound("not_found", "No such endpoint."),
        StatusCodes.Status405MethodNotAllowed => ControlProblem.Create(status, "method_not_allowed", "Method not allowed",
            "This endpoint does not support the request method."),
        StatusCodes.Status413PayloadTooLarge => ControlProblem.Create(status, "payload_too_large", "Payload too large",
            "The request body exceeds this endpoint's limit."),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => ControlProblem.Create(status, "headers_too_large",
            "Request headers too large", "The request headers exceed the gateway's limit."),
        StatusCodes.Status415UnsupportedMediaType => ControlProblem.Create(status, "unsupported_media_type",
            "Unsupported media type", "Send the body as application/json."),
        >= 400 and < 500 => ControlProblem.Create(status, "invalid_request", "Invalid request", "The request was not understood."),
        _ => ControlProblem.Create(status, "error", "Error", "The request failed."),
    };
}
