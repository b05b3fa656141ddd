namespace Carapace.Abstractions.Http;

/// <summary>
/// Outbound HTTP for a plugin. Every request is checked against the plugin's URL grants, its rate
/// limit and the host's SSRF / DNS-rebinding guard. Refusals throw
/// <see cref="CapabilityDeniedException"/> (grant or rate limit) or <see cref="OutboundRequestRejectedException"/>
/// (the guard: private address, bad scheme, too large, timeout).
/// </summary>
public interface IPluginHttp
{
    Task<PluginHttpResponse> SendAsync(PluginHttpRequest request, CancellationToken cancellationToken);
}
