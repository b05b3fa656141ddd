using Carapace.Host.Security;
using Microsoft.AspNetCore.Builder;
using Serilog;

namespace Carapace.Host.Logging;

/// <summary>
/// <c>logging.requests: true</c>: one Information line per request, with the client address from
/// <see cref="ClientAddress"/>. Off by default: each line costs ~10 µs on this machine class
/// (docs/performance.md) and would crowd the 1000-entry ring buffer behind <c>cara logs</c>.
/// </summary>
internal static class RequestLogging
{
    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app, ILogger logger) =>
        app.UseSerilogRequestLogging(options =>
        {
            // The gateway's own logger: the static Log.Logger is never configured (tests run several gateways).
            options.Logger = logger;
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} from {ClientIp} responded {StatusCode} in {Elapsed:0.0} ms";
            options.EnrichDiagnosticContext = (diagnostics, context) => diagnostics.Set("ClientIp", ClientAddress.Of(context).Text);
        });
}
