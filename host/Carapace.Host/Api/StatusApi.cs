using System.Runtime.InteropServices;
using Carapace.Host.Auth;
using Carapace.Host.Gateway;
using Carapace.Protocol.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Carapace.Host.Api;

/// <summary><c>GET /control/status</c>: what is running, for how long, and how healthy.</summary>
internal static class StatusApi
{
    public static IEndpointRouteBuilder MapStatus(this IEndpointRouteBuilder control)
    {
        control.MapGet("/status", (GatewayClock clock, IRuntimeSummary runtime, StateProbe state,
            GatewayCredentials credentials, GatewayEndpoint endpoint) =>
            TypedResults.Ok(new StatusResponse(
                Ok: true,
                Version: CarapaceVersion.Current,
                StartedAt: clock.StartedAt,
                UptimeSeconds: clock.UptimeSeconds,
                Runtime: new RuntimeInfo(
                    "carapace",
                    CarapaceVersion.Current,
                    PlatformName(),
                    RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
                    RuntimeInformation.FrameworkDescription),
                Plugins: runtime.Plugins,
                Channels: runtime.Channels,
                Diagnostics: new StatusDiagnostics(
                    state.IsWritable(), state.WorkingSet, credentials.ModeName, endpoint.Display))));
        return control;
    }

    private static string PlatformName() =>
        OperatingSystem.IsLinux() ? "linux"
        : OperatingSystem.IsMacOS() ? "macos"
        : OperatingSystem.IsWindows() ? "windows"
        : RuntimeInformation.OSDescription;
}
